"""Decode a sound track with PyAV (FFmpeg inside, no system ffmpeg) to 16 kHz mono float32 samples."""

from __future__ import annotations

from typing import Any

import numpy as np

from bot.errors import MediaTooLarge

SAMPLE_RATE = 16_000


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
