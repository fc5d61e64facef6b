"""Open a voice clip or screen recording with PyAV within a bound on its tracks.

FFmpeg sets up a decoder for every track of a file it opens: a 4 MB voice clip of 900 tracks took the process to
3.1 GB (`bench.hostile_sound`). A screen recorder writes a picture and at most six sound tracks, so a file of more
tracks than `MAX_TRACKS` is refused before its tracks are set up.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from bot.errors import MediaTooLarge

MAX_TRACKS = 16


@contextmanager
def opened(data: bytes) -> Iterator[Any]:
    """`data` opened for reading as a PyAV container; `MediaTooLarge` when it has more than `MAX_TRACKS` tracks."""
    import av  # bundles FFmpeg; imported here so image-only callers don't pay for it

    try:
        container = av.open(io.BytesIO(data), mode="r", container_options={"max_streams": str(MAX_TRACKS)})
    except av.error.MemoryError as err:  # FFmpeg's answer to a track past `max_streams`
        raise MediaTooLarge(
            f"That file holds more than {MAX_TRACKS} tracks; please send the recording or voice clip on its own."
        ) from err
    with container:
        yield container
