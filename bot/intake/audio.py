"""Decode a sound track with PyAV (FFmpeg inside, no system ffmpeg) to 16 kHz mono float32 samples, and prepare them
once for speech recognition: a noisy clip's steady noise turned down, a quiet voice raised."""

from __future__ import annotations

from typing import Any

import numpy as np

from bot.errors import MediaTooLarge

SAMPLE_RATE = 16_000
SPEAKING_LEVEL = 10 ** (-18 / 20)  # a voice's RMS in a clip held at a normal distance (-18 dBFS)
QUIET_LEVEL = SPEAKING_LEVEL / 2  # 6 dB under it: a clip this quiet is raised; one above is left as recorded
FRAME = 320  # 20 ms at 16 kHz
NOISY = 10 ** (20 / 10)  # a voice less than 20 dB over the clip's quietest moments is heard through noise
SPAN, HOP = 512, 128  # 32 ms spectra, 8 ms apart, for turning down a clip's steady noise
KEPT = 0.1  # the least of a sound's amplitude that noise reduction keeps (so that no speech is cut out)


def declared_seconds(container: Any, stream: Any) -> float | None:
    """The duration the container's metadata claims for `stream`, if it claims one."""
    if stream is not None and stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return float(container.duration) / 1_000_000
    return None


def resample(container: Any, stream: Any, max_seconds: float, too_long: MediaTooLarge) -> np.ndarray:
    """Decode `stream` of an open container to 16 kHz mono, raising `too_long` past `max_seconds` (+1 s)."""
    import av

    resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
    chunks: list[np.ndarray] = []
    total, limit = 0, int((max_seconds + 1) * SAMPLE_RATE)
    for frame in container.decode(stream):
        for out in resampler.resample(frame):
            chunk = out.to_ndarray().reshape(-1)
            chunks.append(chunk)
            total += chunk.size
        if total > limit:
            raise too_long
    chunks.extend(out.to_ndarray().reshape(-1) for out in resampler.resample(None))
    if not chunks:
        return np.zeros(0, dtype=np.float32)
    return np.concatenate(chunks).astype(np.float32, copy=False)[:limit]


def for_listening(samples: np.ndarray) -> np.ndarray:
    """Decoded `samples` as speech recognition hears them best (Whisper mishears more words in noise or a quiet
    clip): a noisy clip's steady noise turned down, then a quiet voice raised."""
    return at_speaking_level(with_less_noise(samples))


def frame_powers(samples: np.ndarray) -> np.ndarray:
    """The mean power of each 20 ms frame, lowest first."""
    frames = samples[: samples.size // FRAME * FRAME].reshape(-1, FRAME)
    return np.sort((frames.astype(np.float64) ** 2).mean(axis=1))


def voice_level(samples: np.ndarray) -> float:
    """The voice's RMS: over the louder half of its 20 ms frames, so that pauses do not count."""
    powers = frame_powers(samples)
    return float(np.sqrt(powers[powers.size // 2 :].mean())) if powers.size else 0.0


def is_noisy(samples: np.ndarray) -> bool:
    """Whether the voice (the louder half of the frames) is less than 20 dB over the quietest tenth of the clip."""
    powers = frame_powers(samples)
    if powers.size < 10:
        return False
    return bool(powers[powers.size // 2 :].mean() < NOISY * powers[: powers.size // 10].mean())


def with_less_noise(samples: np.ndarray) -> np.ndarray:
    """`samples` with their steady background noise (a fan, hum, hiss, an office) turned down when the voice is heard
    through it: each frequency's power in the quietest tenth of the clip is taken for the noise and taken off every
    32 ms spectrum, keeping at least a tenth of each sound's amplitude. A clip with a quiet floor is left as recorded
    (there, a change only swaps one mishearing for another)."""
    if samples.size < 4 * SPAN or not is_noisy(samples):
        return samples
    window = np.hanning(SPAN + 1)[:-1].astype(np.float32)
    padded = np.pad(samples.astype(np.float32), SPAN // 2)
    starts = np.arange(0, padded.size - SPAN + 1, HOP)
    spectra = np.fft.rfft(padded[starts[:, None] + np.arange(SPAN)] * window, axis=1)
    power = spectra.real**2 + spectra.imag**2
    quietest = np.argsort(power.sum(axis=1))[: max(1, len(starts) // 10)]
    noise = power[quietest].mean(axis=0)
    gain = np.sqrt(np.maximum(1 - noise / np.maximum(power, 1e-12), KEPT**2))
    gain = (np.roll(gain, 1, axis=0) + gain + np.roll(gain, -1, axis=0)) / 3  # smoothed over three spectra
    frames = np.fft.irfft(spectra * gain, n=SPAN, axis=1) * window
    out = np.zeros(padded.size, dtype=np.float32)
    weight = np.zeros(padded.size, dtype=np.float32)
    for start, frame in zip(starts, frames, strict=True):
        out[start : start + SPAN] += frame
        weight[start : start + SPAN] += window**2
    heard = out / np.maximum(weight, 1e-6)
    return heard[SPAN // 2 : SPAN // 2 + samples.size].astype(np.float32)


def at_speaking_level(samples: np.ndarray) -> np.ndarray:
    """`samples` raised to a normal speaking level, short of full scale, when they are quiet (a phone held away, a
    soft voice): Whisper mishears more words in a quiet clip. Any other clip is left as recorded: a loud, clipped one
    reads worse lowered, and within a few dB of the level a change only swaps one mishearing for another."""
    level = voice_level(samples)
    if level <= 0 or level >= QUIET_LEVEL:
        return samples
    gain = min(SPEAKING_LEVEL / level, 0.99 / float(np.abs(samples).max()))
    return (samples * gain).astype(np.float32) if gain > 1 else samples
