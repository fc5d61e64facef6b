"""Screen recordings (MP4/MOV with H.264/HEVC, WebM with VP8/VP9; with or without sound) through PyAV, and
animated GIF, WebP and PNG screen captures through Pillow (`bot.intake.animation`).

`open_recording` checks the limits from the container's header (duration, frame size, how many pixels would be
decoded) and decodes the sound track; the picture is decoded later, as a stream of sampled frames, so a long
recording never sits in memory whole.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

from bot.deadline import check
from bot.errors import BotError, CorruptMedia, MediaTooLarge
from bot.intake.audio import declared_seconds, for_listening, resample
from bot.intake.container import opened
from bot.intake.image import fitted
from bot.settings import Settings

log = logging.getLogger(__name__)

TURNS = {1: Image.Transpose.ROTATE_90, 2: Image.Transpose.ROTATE_180, 3: Image.Transpose.ROTATE_270}

THUMB_WIDTH = 160  # frames are compared at this width to find scene changes and stillness (as stored: every frame
# of a recording is turned alike, so the comparison needs no turning)


@dataclass(frozen=True)
class Frame:
    """One sampled frame: when it shows (seconds), a small grey copy to compare, and how to make its picture."""

    at: float
    thumb: np.ndarray
    render: Callable[[], Any]  # the frame as an RGB PIL image at the working size, made only when it is read

    def image(self) -> Any:
        return self.render()


@dataclass(frozen=True)
class Recording:
    """A screen recording: frame size, length, the sound track (16 kHz mono, empty when silent), and its
    frames, decoded on demand at `fps` samples per second."""

    data: bytes
    width: int
    height: int
    seconds: float
    samples: np.ndarray
    fps: float
    working_pixels: int
    max_decoded_pixels: int
    animated: bool = False  # an animated GIF, WebP or PNG, decoded by Pillow
    sound_lost: bool = False  # it has a sound track, but none could be decoded

    def frames(self) -> Iterator[Frame]:
        """The frames, one every 1/`fps` seconds; decoding stops quietly where a truncated file ends."""
        if self.animated:
            from bot.intake.animation import animation_frames

            return animation_frames(self)
        return self.video_frames()

    def video_frames(self) -> Iterator[Frame]:
        import av

        step, next_at, decoded, seen = 1.0 / self.fps, 0.0, 0, 0  # frames are taken on a grid of `step`
        with opened(self.data) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            try:
                for picture in container.decode(stream):
                    check()
                    decoded += picture.width * picture.height
                    if decoded > self.max_decoded_pixels * 1.1:  # the header understated the work
                        raise too_much_video(self.width, self.height, self.seconds, self.max_decoded_pixels)
                    at = float(picture.time or 0.0)
                    if at + 1e-6 < next_at:
                        continue
                    while next_at <= at + 1e-6:
                        next_at += step
                    seen += 1
                    yield Frame(at, thumbnail(picture), functools.partial(to_image, picture, self.working_pixels))
            except av.error.FFmpegError as err:
                if not seen:
                    raise CorruptMedia("That recording could not be read (it looks cut off or corrupt).") from err
                log.info("recording cut off after %.1f s: %r", next_at, err)


def to_image(picture: Any, working_pixels: int) -> Any:
    """A video frame as an RGB PIL image, scaled down to the working size and turned as its display rotation says."""
    width, height = fitted((picture.width, picture.height), working_pixels)
    image = picture.reformat(width=width, height=height, format="rgb24").to_image()
    turns = quarter_turns(picture.rotation)
    return image.transpose(TURNS[turns]) if turns else image


def quarter_turns(rotation: float) -> int:
    """How many quarter turns counterclockwise (0-3) show a decoded frame upright, from its display rotation in
    degrees counterclockwise: a phone's camera stores a portrait video on its side (-90) and a landscape one held the
    other way round upside down (180), and says so only in the container's display matrix."""
    return round(rotation / 90) % 4


def thumbnail(picture: Any) -> np.ndarray:
    """A small grey copy of a video frame, as float32."""
    height = max(1, round(THUMB_WIDTH * picture.height / max(1, picture.width)))
    return picture.reformat(width=THUMB_WIDTH, height=height, format="gray").to_ndarray().astype(np.float32)


def has_picture(data: bytes) -> bool:
    """Whether an MP4/WebM/Ogg file carries a video track (a cover picture does not count)."""
    import av

    with opened(data) as container:
        return any(not s.disposition & av.stream.Disposition.attached_pic for s in container.streams.video)


def open_recording(data: bytes, settings: Settings) -> Recording:
    """Check a recording against the limits from its header, then decode its sound track."""
    import av

    with opened(data) as container:
        video = next(s for s in container.streams.video if not s.disposition & av.stream.Disposition.attached_pic)
        width, height = video.codec_context.width, video.codec_context.height
        if width < 1 or height < 1:
            raise CorruptMedia("That recording could not be read (it has no picture size).")
        seconds = declared_seconds(container, video) or 0.0
        check_recording(width, height, seconds, float(video.average_rate or 60), settings)
        tracks = len(container.streams.audio)
    samples = sound_track(data, tracks, settings.max_recording_seconds)
    return Recording(
        data,
        width,
        height,
        seconds,
        samples,
        settings.recording_fps,
        settings.image_working_pixels,
        settings.max_recording_decoded_pixels,
        sound_lost=tracks > 0 and samples.size == 0,
    )


def sound_track(data: bytes, tracks: int, max_seconds: float) -> np.ndarray:
    """The first of the recording's `tracks` sound tracks that decodes, as speech recognition hears it; empty when it
    has none, or when none of them can be decoded (a codec FFmpeg lacks, a track damaged throughout): its screens are
    still read."""
    for track in range(tracks):
        try:
            with opened(data) as container:
                stream = container.streams.audio[track]
                sound = resample(container, stream, max_seconds, recording_too_long(max_seconds))
        except BotError:
            raise
        except Exception as err:  # a library failure on one track must not cost the recording
            log.info("sound track %d could not be decoded: %r", track, err)
            continue
        if sound.size:
            return for_listening(sound)
    return np.zeros(0, dtype=np.float32)


def check_recording(width: int, height: int, seconds: float, rate: float, settings: Settings) -> None:
    """Refuse, with a sentence saying why, a recording too long, too large per frame or too costly to decode."""
    if seconds > settings.max_recording_seconds + 1:
        raise recording_too_long(settings.max_recording_seconds)
    if width * height > settings.max_video_pixels:
        raise MediaTooLarge(
            f"That recording is {width}×{height}, over the {settings.max_video_pixels / 1e6:g}-megapixel frame "
            "limit; please record a smaller window or at a lower resolution."
        )
    if width * height * rate * seconds > settings.max_recording_decoded_pixels:
        raise too_much_video(width, height, seconds, settings.max_recording_decoded_pixels, rate)


def recording_too_long(max_seconds: float) -> MediaTooLarge:
    return MediaTooLarge(
        f"That recording is longer than {minutes(max_seconds)}; please send a shorter clip that shows the error."
    )


def too_much_video(width: int, height: int, seconds: float, budget: int, rate: float | None = None) -> MediaTooLarge:
    """The sentence for a recording whose frames are too many pixels to decode, with the length that would fit."""
    per_second = width * height * (rate or 60.0)
    fits = max(1, int(budget / per_second))
    at_rate = f" at {rate:g} frames per second" if rate else ""
    return MediaTooLarge(
        f"That recording ({width}×{height}{at_rate}, {seconds:.0f} s) is more video than I can read at once; "
        f"please send a clip of at most {fits} seconds, or record at a lower resolution or frame rate."
    )


def minutes(seconds: float) -> str:
    return f"{seconds / 60:g} minutes" if seconds >= 120 else f"{seconds:g} seconds"
