"""Animated GIF, WebP and PNG screen captures (what Kap, Peek, LICEcap or ScreenToGif save): read as recordings
without sound, each frame shown for its own delay. Pillow decodes them (FFmpeg has no animated-WebP decoder)."""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np
from PIL import Image, ImageSequence

from bot.deadline import check
from bot.errors import CorruptMedia
from bot.intake.image import shrink, to_rgb
from bot.intake.video import THUMB_WIDTH, Frame, Recording, check_recording, recording_too_long, too_much_video
from bot.settings import Settings

ANIMATED_FORMATS = frozenset({"gif", "webp", "png"})
SHORTEST_DELAY = 0.1  # seconds a frame shows when its file says 10 ms or less, as browsers show it
MAX_FRAME_RATE = 60.0  # an animation with more frames than the longest recording accepted has at this rate is refused


def is_animated(data: bytes, max_pixels: int) -> bool:
    """Whether an image file holds more than one frame; False for anything the still-image path must judge (a
    canvas over `max_pixels`, a file Pillow cannot open)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
                return width * height <= max_pixels and bool(getattr(image, "is_animated", False))
    except Exception:  # noqa: BLE001 - the still-image decoder names what is wrong with the file
        return False


def open_animation(data: bytes, settings: Settings) -> Recording:
    """An animation as a silent recording, once its frame size is checked and its frames' delays are read within
    the recording limits (length, frames decoded)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            check_recording(width, height, 0.0, 0.0, settings)  # the frame size, before any frame is decoded
            seconds = length(image, settings)
    return Recording(
        data,
        width,
        height,
        seconds,
        np.zeros(0, dtype=np.float32),
        settings.recording_fps,
        settings.image_working_pixels,
        settings.max_recording_decoded_pixels,
        animated=True,
    )


def length(image: Any, settings: Settings) -> float:
    """The animation's length in seconds, up to where a truncated file ends; refused as soon as it is too long or
    has too many frames to decode."""
    seconds, pixels = 0.0, image.width * image.height
    for frames, (_, shown) in enumerate(shown_frames(image), start=1):
        seconds += shown
        if seconds > settings.max_recording_seconds + 1:
            raise recording_too_long(settings.max_recording_seconds)
        if frames > settings.max_recording_seconds * MAX_FRAME_RATE or (
            frames * pixels > settings.max_recording_decoded_pixels
        ):
            raise too_much_video(image.width, image.height, seconds, settings.max_recording_decoded_pixels)
    return seconds


def animation_frames(recording: Recording) -> Iterator[Frame]:
    """The frames on a grid of 1/`fps` seconds: a frame is taken at each grid moment it shows, so one held for two
    seconds counts as long as a video's still screen does; frames shown only between two moments are skipped."""
    step, clock, next_at = 1.0 / recording.fps, 0.0, 0.0
    with Image.open(io.BytesIO(recording.data)) as image:
        for frame, shown in shown_frames(image):
            check()
            clock += shown
            if next_at >= clock - 1e-6:
                continue
            picture = shrink(to_rgb(frame.copy()), recording.working_pixels)  # a copy: the sequence reuses `frame`
            thumb = grey_thumbnail(picture)
            while next_at < clock - 1e-6:
                yield Frame(round(next_at, 3), thumb, picture.copy)
                next_at += step


def shown_frames(image: Any) -> Iterator[tuple[Any, float]]:
    """Each frame (the same image, moved on to the next frame each time) with how long it shows, in seconds; a
    truncated file ends at its cut, and one cut before its first frame is refused."""
    frames, seen = ImageSequence.Iterator(image), 0
    while True:
        try:
            frame = next(frames)
            frame.load()  # a frame cut off raises here, not where it is read
            shown = delay(frame)
        except StopIteration:
            return
        except Exception as err:  # Pillow raises several kinds of error where a file is cut off
            if not seen:
                raise cut_off() from err
            return
        seen += 1
        yield frame, shown


def delay(frame: Any) -> float:
    """How long a decoded frame shows, in seconds."""
    milliseconds = float(frame.info.get("duration") or 0.0)
    return milliseconds / 1000 if milliseconds > 10 else SHORTEST_DELAY


def cut_off() -> CorruptMedia:
    return CorruptMedia("That animation could not be read (it looks cut off or corrupt); please send it again.")


def grey_thumbnail(picture: Any) -> np.ndarray:
    """A small grey copy of an RGB PIL image, as float32 (as `bot.intake.video.thumbnail` makes of a video frame)."""
    height = max(1, round(THUMB_WIDTH * picture.height / max(1, picture.width)))
    small = picture.convert("L").resize((THUMB_WIDTH, height), Image.Resampling.BILINEAR)
    return np.asarray(small, dtype=np.float32)
