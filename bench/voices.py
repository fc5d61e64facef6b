"""Voice notes as people really record them, made from the dev set's voice queries: other rooms, microphones and
lines than its light background noise, to check that speech intake generalises.

usage: python -m bench.voices OUT_DIR [--set ../shared/dev-set] [--kinds ...] [--seed 7]
Adds to OUT_DIR/queries.jsonl (files relative to OUT_DIR; kind `voice-<how>`, out-of-KB queries keep kind
`out-of-kb`) and OUT_DIR/media/, each note as Slack's clips are (AAC in M4A or Opus in WebM) unless said.
  quiet    the phone held away: 24-32 dB softer, over the same faint hiss
  loud     held too close: 12-20 dB louder and clipped
  noisy    an open office: fan rumble, mains hum, keystrokes and hiss, 5-10 dB below the voice
  babble   colleagues talking behind (other notes, played backwards so they add no words), 6-10 dB below
  line     a headset or phone line: 300-3400 Hz at 8 kHz, Opus at 8-12 kbit/s in Ogg
  far      across a room: its echo (RT60 0.5-1.0 s, as loud as the voice) over hiss
"""

from __future__ import annotations

import argparse
import io
import json
import random
from fractions import Fraction
from pathlib import Path
from typing import Any, cast

import numpy as np

from bot.errors import MediaTooLarge
from bot.intake.audio import SAMPLE_RATE, resample, voice_level
from tests.support import mux_sound

SET = Path(__file__).resolve().parents[2] / "shared" / "dev-set"
SOUNDS = (".m4a", ".ogg", ".wav", ".webm")


def load(path: Path) -> np.ndarray:
    """A voice note as 16 kHz mono samples."""
    import av

    with av.open(str(path)) as container:
        return resample(container, container.streams.audio[0], 600, MediaTooLarge())


def encode(samples: np.ndarray, container: str, codec: str, rate: int, bitrate: int, layout: str = "mono") -> bytes:
    """`samples` (16 kHz) encoded with PyAV as a `container` file of `codec` at `rate` Hz and `bitrate` bit/s, in
    `layout` (each channel the same)."""
    import av

    out = io.BytesIO()
    with av.open(out, mode="w", format=container) as muxer:
        track = cast(av.AudioStream, muxer.add_stream(codec, rate=rate, layout=layout))
        track.bit_rate = bitrate
        source = av.AudioFrame.from_ndarray(np.clip(samples, -1, 1).astype(np.float32)[None, :], "flt", "mono")
        source.sample_rate, source.pts, source.time_base = SAMPLE_RATE, 0, Fraction(1, SAMPLE_RATE)
        mux_sound(muxer, track, [source], rate)
    return out.getvalue()


def at_snr(voice: np.ndarray, noise: np.ndarray, snr_db: float) -> np.ndarray:
    """`noise` scaled to `snr_db` below the voice and added."""
    scale = voice_level(voice) / max(float(np.sqrt((noise**2).mean())), 1e-9) / 10 ** (snr_db / 20)
    return voice + scale * noise


def hiss(gen: np.random.Generator, count: int, level: float) -> np.ndarray:
    return level * gen.normal(0, 1, count)


def pink(gen: np.random.Generator, count: int) -> np.ndarray:
    spectrum = np.fft.rfft(gen.normal(0, 1, count)) / np.maximum(1, np.sqrt(np.arange(count // 2 + 1)))
    noise = np.fft.irfft(spectrum, count)
    return noise / noise.std()


def office(gen: np.random.Generator, count: int) -> np.ndarray:
    """An open office without voices: a fan's rumble, mains hum with its harmonics, keystrokes, hiss."""
    t = np.arange(count) / SAMPLE_RATE
    mains = gen.choice([50.0, 60.0])
    hum = sum(np.sin(2 * np.pi * mains * k * t + gen.uniform(0, 6.3)) / k for k in (1, 2, 3, 5))
    noise = pink(gen, count) + 0.3 * hum + 0.2 * gen.normal(0, 1, count)
    for start in gen.integers(0, max(1, count - 600), int(6 * count / SAMPLE_RATE)):
        noise[start : start + 600] += 3 * gen.normal(0, 1, 600) * np.exp(-np.arange(600) / 80)
    return noise


def room_echo(gen: np.random.Generator, voice: np.ndarray, rt60: float) -> np.ndarray:
    """`voice` as a microphone across a room hears it: the direct sound and an exponentially dying echo, as
    loud together as the direct sound."""
    length = int(rt60 * SAMPLE_RATE)
    decay = np.exp(-6.9 * np.arange(length) / length)  # -60 dB at rt60
    tail = gen.normal(0, 1, length) * decay
    tail[: int(0.003 * SAMPLE_RATE)] = 0  # the first reflections come a few ms after the direct sound
    tail *= 1 / np.sqrt((tail**2).sum())
    wet = np.convolve(voice, tail)[: voice.size]
    return voice + wet * (np.sqrt((voice**2).sum()) / max(np.sqrt((wet**2).sum()), 1e-9))


def band(samples: np.ndarray, low: float, high: float) -> np.ndarray:
    from scipy.signal import butter, sosfilt

    sos = butter(6, [low, high], btype="bandpass", fs=SAMPLE_RATE, output="sos")
    return sosfilt(sos, samples)


def degrade(kind: str, voice: np.ndarray, others: list[np.ndarray], rng: random.Random) -> np.ndarray:
    """`voice` (peak 1) as recorded the way `kind` says."""
    gen = np.random.default_rng(rng.randint(0, 2**31))
    if kind == "quiet":
        return voice * 10 ** (-rng.uniform(24, 32) / 20) + hiss(gen, voice.size, 3e-4)
    if kind == "loud":
        return np.clip(voice * 10 ** (rng.uniform(12, 20) / 20), -1, 1)
    if kind == "noisy":
        return 0.5 * at_snr(voice, office(gen, voice.size), rng.uniform(5, 10))
    if kind == "babble":
        crowd = np.zeros_like(voice)
        for other in rng.sample(others, 3):
            other = np.tile(other[::-1], voice.size // max(other.size, 1) + 1)
            start = rng.randint(0, other.size - voice.size)
            crowd += other[start : start + voice.size] / max(voice_level(other), 1e-9)
        return 0.5 * at_snr(voice, crowd, rng.uniform(6, 10))
    if kind == "line":
        return 0.7 * band(voice, 300, 3400) + hiss(gen, voice.size, 2e-3)
    if kind == "far":
        return 0.5 * room_echo(gen, voice, rng.uniform(0.5, 1.0)) + hiss(gen, voice.size, 2e-3)
    raise ValueError(f"unknown kind {kind!r}")


def save(samples: np.ndarray, kind: str, stem: Path, rng: random.Random) -> Path:
    """Slack's clip formats (AAC in M4A, Opus in WebM); a phone line's Opus at 8 kHz in Ogg."""
    if kind == "line":
        path, data = stem.with_suffix(".ogg"), encode(samples, "ogg", "libopus", 8_000, rng.choice([8_000, 12_000]))
    elif rng.random() < 0.5:
        path, data = stem.with_suffix(".m4a"), encode(samples, "mp4", "aac", 48_000, 64_000)
    else:
        path, data = stem.with_suffix(".webm"), encode(samples, "webm", "libopus", 48_000, 32_000)
    path.write_bytes(data)
    return path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("--set", type=Path, default=SET)
    parser.add_argument("--kinds", default="quiet,loud,noisy,babble,line,far")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    (args.out / "media").mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, Any]] = [
        json.loads(line) for line in (args.set / "queries.jsonl").read_text().splitlines() if line.strip()
    ]
    notes = [r for r in rows if r["kind"] == "voice" or r["files"] and r["files"][0].endswith(SOUNDS)]
    voices = {r["id"]: load(args.set / r["files"][0]) for r in notes}
    voices = {k: v / max(float(np.abs(v).max()), 1e-9) for k, v in voices.items()}
    with (args.out / "queries.jsonl").open("a") as listing:
        for kind in args.kinds.split(","):
            rng = random.Random(f"{args.seed}-{kind}")
            for q in notes:
                others = [v for k, v in voices.items() if k != q["id"]]
                samples = degrade(kind, voices[q["id"]], others, rng)
                path = save(samples, kind, args.out / "media" / f"{q['id']}-{kind}", rng)
                row = {
                    "id": f"{q['id']}-{kind}",
                    "text": q["text"],
                    "files": [str(path.relative_to(args.out))],
                    "expected": q["expected"],
                    "kind": f"voice-{kind}" if q["expected"] else "out-of-kb",
                }
                listing.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
