"""Voice-note queries: espeak-ng speech + light background noise, encoded with PyAV.

../../.venv/bin/python voice.py   # writes examples/media/q08.m4a ... q11.wav
"""

from __future__ import annotations

import io
import subprocess
import wave
from pathlib import Path
from typing import cast

import av
import numpy as np

REPO = Path(__file__).resolve().parents[2]
MEDIA = REPO / "examples" / "media"

# (file, espeak-ng voice, words per minute, what the user says)
NOTES = [
    (
        "q08.m4a",
        "en-us",
        150,
        "Hi, the orders website is down for everyone. It just shows a white page that says "
        "five oh two bad gateway, and nginx underneath. It loads instantly, no waiting.",
    ),
    (
        "q09.ogg",
        "en-gb",
        140,
        "Hello. I pulled the latest storefront code and npm install fails. It says unable to "
        "resolve dependency tree, something about react seventeen and react dom eighteen.",
    ),
    (
        "q10.webm",
        "en-us+f3",
        145,
        "I exported the orders from Excel and tried to load them with the lumen import command, "
        "but it crashes with a long error, utf eight codec can't decode byte.",
    ),
    (
        "q11.wav",
        "en-gb-x-rp",
        160,
        "When I open the reports page over https, the browser says the page isn't working "
        "because it redirected me too many times. Clearing cookies did not help.",
    ),
]
# container format, codec, sample rate for each file type
ENCODINGS = {
    ".m4a": ("mp4", "aac", 22050),
    ".ogg": ("ogg", "libopus", 48000),
    ".webm": ("webm", "libopus", 48000),
    ".wav": ("wav", "pcm_s16le", 16000),
}


def speak(text: str, voice: str, wpm: int) -> tuple[np.ndarray, int]:
    """Synthesize `text` with espeak-ng; return mono int16 samples and their rate."""
    wav = subprocess.run(
        ["espeak-ng", "-v", voice, "-s", str(wpm), "--stdout", text], check=True, capture_output=True
    ).stdout
    with wave.open(io.BytesIO(wav)) as w:
        rate = w.getframerate()
        samples = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)
    return samples, rate


def add_noise(samples: np.ndarray, level: float = 0.01, seed: int = 7) -> np.ndarray:
    """Add quiet pink-ish background noise and half a second of room tone at both ends."""
    rng = np.random.default_rng(seed)
    pad = np.zeros(len(samples) // 20 + 4000, dtype=np.float32)
    signal = np.concatenate([pad, samples.astype(np.float32), pad])
    noise = np.cumsum(rng.normal(0, 1, len(signal))).astype(np.float32)
    noise -= np.convolve(noise, np.ones(200) / 200, mode="same")
    noise *= level * 32767 / (np.abs(noise).max() + 1e-9)
    return np.clip(signal + noise, -32768, 32767).astype(np.int16)


def encode(samples: np.ndarray, rate: int, out: Path) -> None:
    """Write mono int16 samples to `out`, container and codec chosen by its suffix."""
    fmt, codec, out_rate = ENCODINGS[out.suffix]
    with av.open(str(out), "w", format=fmt) as container:
        stream = cast(av.AudioStream, container.add_stream(codec, rate=out_rate, layout="mono"))
        if codec == "aac":
            stream.bit_rate = 48000
        elif codec == "libopus":
            stream.bit_rate = 24000
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = rate
        resampler = av.AudioResampler(format=stream.codec_context.format, layout="mono", rate=out_rate)
        for converted in [*resampler.resample(frame), *resampler.resample(None)]:
            for packet in stream.encode(converted):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)


def main() -> None:
    MEDIA.mkdir(parents=True, exist_ok=True)
    for name, voice, wpm, text in NOTES:
        samples, rate = speak(text, voice, wpm)
        out = MEDIA / name
        encode(add_noise(samples), rate, out)
        print(f"{out.relative_to(REPO)}: {out.stat().st_size} bytes")


if __name__ == "__main__":
    main()
