"""Decode a sound track with PyAV (FFmpeg inside, no system ffmpeg) to 16 kHz mono float32 samples, and prepare them
once for speech recognition: a noisy clip's steady noise turned down, a quiet voice raised."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from bot.deadline import check
from bot.errors import MediaTooLarge

log = logging.getLogger(__name__)

SAMPLE_RATE = 16_000
SPEAKING_LEVEL = 10 ** (-18 / 20)  # a voice's RMS in a clip held at a normal distance (-18 dBFS)
QUIET_LEVEL = SPEAKING_LEVEL / 2  # 6 dB under it: a clip this quiet is raised; one above is left as recorded
FRAME = 320  # 20 ms at 16 kHz
NOISY = 10 ** (20 / 10)  # a voice less than 20 dB over the clip's quietest moments is heard through noise
SPAN, HOP = 512, 128  # 32 ms spectra, 8 ms apart, for turning down a clip's steady noise
CANCELLED = 0.1  # a mix of the channels that keeps under a tenth of their power: they cancel out (one is inverted)
KEPT = 0.1  # the least of a sound's amplitude that noise reduction keeps (so that no speech is cut out)
WINDOW = np.hanning(SPAN + 1)[:-1].astype(np.float32)
BLOCK = 1024  # spectra made at once (8 s of a clip)


def declared_seconds(container: Any, stream: Any) -> float | None:
    """The duration the container's metadata claims for `stream`, if it claims one."""
    if stream is not None and stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return float(container.duration) / 1_000_000
    return None


def resample(container: Any, stream: Any, max_seconds: float, too_long: MediaTooLarge) -> np.ndarray:
    """Decode `stream` of an open container to 16 kHz mono, raising `too_long` past `max_seconds` (+1 s). A packet
    the decoder rejects (a damaged stretch of the file) is skipped: its moment is lost, not the clip. Where the sound's
    rate or channels change (files joined end to end, a chained Ogg), resampling starts again from there; where the
    file cannot be read on (cut off, or a change FFmpeg cannot follow), the sound before is kept. Sound whose channels
    cancel out when mixed (one of them inverted, as some laptops' microphone pairs record) is heard from its first
    channel alone. Stops at the work's deadline."""
    import av

    samples, kept = decoded(container, stream, max_seconds, too_long)
    if kept < CANCELLED:
        log.info("the sound's channels cancel out when mixed (%.3f of their power kept): hearing its first", kept)
        try:
            container.seek(0)
            samples, _ = decoded(container, stream, max_seconds, too_long, first_channel=True)
        except av.error.FFmpegError as err:  # the file cannot be read again from its start: the mix is heard
            log.info("could not read the sound again for its first channel: %r", err)
    return samples


def decoded(
    container: Any, stream: Any, max_seconds: float, too_long: MediaTooLarge, first_channel: bool = False
) -> tuple[np.ndarray, float]:
    """`resample`'s sound as the channels mixed (or the first channel alone), and the share of the channels' power
    that the mix kept (1.0 for one channel)."""
    import av

    chunks: list[np.ndarray] = []
    total, limit, damaged = 0, int((max_seconds + 1) * SAMPLE_RATE), 0
    resampler, source = None, None
    mixed = channels = 0.0  # the power of the channels mixed, and their mean power
    try:
        for packet in container.demux(stream):
            check()
            try:
                frames = packet.decode()
            except av.error.InvalidDataError:
                damaged += 1
                continue
            for frame in frames:
                if frame.layout.nb_channels > 1:
                    parts = channel_samples(frame)
                    if first_channel:
                        frame = first_of(parts, frame)
                    else:
                        level = parts.astype(np.float64)
                        mixed += float((level.mean(axis=0) ** 2).sum())
                        channels += float((level**2).sum()) / len(level)
                if resampler is None or source != (frame.format.name, frame.layout.name, frame.sample_rate):
                    chunks.extend(flushed(resampler))
                    resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
                    source = (frame.format.name, frame.layout.name, frame.sample_rate)
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray().reshape(-1))
                    total += chunks[-1].size
            if total > limit:
                raise too_long
    except av.error.FFmpegError as err:
        if not total:
            raise
        log.info("sound read up to %.1f s, where the file cannot be read on: %r", total / SAMPLE_RATE, err)
    if damaged:
        log.info("skipped %d damaged sound packets", damaged)
    chunks.extend(flushed(resampler))
    kept = mixed / channels if channels > 0 else 1.0
    if not chunks:
        return np.zeros(0, dtype=np.float32), kept
    return np.concatenate(chunks).astype(np.float32, copy=False)[:limit], kept


def flushed(resampler: Any) -> list[np.ndarray]:
    """What a resampler (or None) still holds, as sample arrays."""
    return [out.to_ndarray().reshape(-1) for out in resampler.resample(None)] if resampler is not None else []


def channel_samples(frame: Any) -> np.ndarray:
    """A decoded frame's samples as stored (integers or floats), one row per channel."""
    samples = frame.to_ndarray()
    return samples if frame.format.is_planar else samples.reshape(-1, frame.layout.nb_channels).T


def first_of(parts: np.ndarray, frame: Any) -> Any:
    """The first channel of `frame` (its samples `parts`) as a mono frame in the same sample format."""
    import av

    first = av.AudioFrame.from_ndarray(np.ascontiguousarray(parts[:1]), format=frame.format.planar.name, layout="mono")
    first.sample_rate = frame.sample_rate
    return first


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
    (there, a change only swaps one mishearing for another). The spectra are made `BLOCK` at a time, so a long clip
    takes a few copies of its samples, not of its spectra."""
    if samples.size < 4 * SPAN or not is_noisy(samples):
        return samples
    padded = np.pad(samples.astype(np.float32), SPAN // 2)
    count = (padded.size - SPAN) // HOP + 1
    blocks = [np.arange(first, min(first + BLOCK, count)) for first in range(0, count, BLOCK)]
    loudness = np.concatenate([power(spectra_of(padded, frames)).sum(axis=1) for frames in blocks])
    quietest = np.argsort(loudness)[: max(1, count // 10)]
    noise = power(spectra_of(padded, quietest)).mean(axis=0)  # a tenth of the spectra, once
    out = np.zeros((count + SPAN // HOP - 1, HOP), dtype=np.float32)
    for frames in blocks:
        # with one spectrum more each side, so that each gain is smoothed over its neighbours as if all were made at
        # once (the clip's first and last spectra are each other's neighbours: the clip taken as a loop)
        around = np.arange(frames[0] - 1, frames[-1] + 2) % count
        spectra = spectra_of(padded, around)
        gain = np.sqrt(np.maximum(1 - noise / np.maximum(power(spectra), 1e-12), KEPT**2))
        gain = (gain[:-2] + gain[1:-1] + gain[2:]) / 3
        heard = np.fft.irfft(spectra[1:-1] * gain, n=SPAN, axis=1).astype(np.float32) * WINDOW
        overlap_add(out, heard.reshape(frames.size, -1, HOP), int(frames[0]))
    weight = np.zeros_like(out)
    overlap_add(weight, np.broadcast_to((WINDOW**2).reshape(-1, HOP), (count, SPAN // HOP, HOP)), 0)
    out /= np.maximum(weight, 1e-6, out=weight)
    return out.reshape(-1)[SPAN // 2 : SPAN // 2 + samples.size]


def spectra_of(padded: np.ndarray, frames: np.ndarray) -> np.ndarray:
    """The windowed spectra of the 32 ms `frames` of `padded` (frame `i` starts at sample `i * HOP`)."""
    return np.fft.rfft(padded[frames[:, None] * HOP + np.arange(SPAN)] * WINDOW, axis=1)


def power(spectra: np.ndarray) -> np.ndarray:
    """The power of each frequency of `spectra`."""
    return spectra.real**2 + spectra.imag**2


def overlap_add(out: np.ndarray, frames: np.ndarray, first: int) -> None:
    """Add `frames` (each split into `HOP`-long parts) into `out` (`HOP`-long rows), frame `first + i` from row
    `first + i`; each row gets its frames in their order (float sums depend on it, and so can what is heard)."""
    for part in reversed(range(frames.shape[1])):
        out[first + part : first + part + len(frames)] += frames[:, part]


def at_speaking_level(samples: np.ndarray) -> np.ndarray:
    """`samples` raised to a normal speaking level, short of full scale, when they are quiet (a phone held away, a
    soft voice): Whisper mishears more words in a quiet clip. Any other clip is left as recorded: a loud, clipped one
    reads worse lowered, and within a few dB of the level a change only swaps one mishearing for another."""
    level = voice_level(samples)
    if level <= 0 or level >= QUIET_LEVEL:
        return samples
    gain = min(SPEAKING_LEVEL / level, 0.99 / float(np.abs(samples).max()))
    return (samples * gain).astype(np.float32) if gain > 1 else samples
