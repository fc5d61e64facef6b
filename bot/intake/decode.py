"""Decode one attachment: sniff its real type, check the limits, return `Media`.

Names and claimed MIME types are ignored (Slack labels m4a voice clips `video/mp4`). Whatever the
bytes are, only `BotError`s leave this module.
"""

from __future__ import annotations

import hashlib
import logging

import numpy as np

from bot.errors import BotError, CorruptMedia, MediaTooLarge, UnsupportedMedia
from bot.intake.animation import ANIMATED_FORMATS, is_animated, open_animation
from bot.intake.archive import ARCHIVES, COMPRESSED, archive_files, decompressed
from bot.intake.audio import SAMPLE_RATE, declared_seconds, for_listening, resample
from bot.intake.container import opened
from bot.intake.image import decode_image
from bot.intake.sniff import AV_FORMATS, IMAGE_FORMATS, sniff
from bot.intake.text import decode_text
from bot.intake.video import has_picture, open_recording
from bot.records import Attachment, Media
from bot.settings import Settings

log = logging.getLogger(__name__)

SUPPORTED = (
    "a screenshot or photo (PNG, JPEG, WebP, HEIC, AVIF, GIF), a screen recording (MP4, MOV, WebM, animated GIF), "
    "a voice clip (M4A, Ogg, MP3, AAC, AMR, WAV, FLAC) or a text file or log (also zipped, gzipped or in a tar)"
)
OTHER_NAMES = {"pdf": "a PDF", "7z": "a 7-Zip archive", "rar": "a RAR archive"}


def decode_attachment(att: Attachment, settings: Settings) -> Media:
    """Check `att` against the limits and decode it: an RGB image, 16 kHz mono samples, a recording or text."""
    data = att.data
    if not data:
        raise CorruptMedia("That file is empty; please send it again.")
    digest = sha256(data)
    kind = sniff(data)
    if kind == "text":
        return Media(att.name, "snippet", decode_text(data, settings), digest)
    if len(data) > settings.max_file_bytes:
        limit = settings.max_file_bytes / 1_000_000
        raise MediaTooLarge(f"That file is over the {limit:g} MB limit; please send a smaller one.")
    try:
        if kind in COMPRESSED:  # a compressed log, or a compressed tar of logs
            return unpacked(att.name, decompressed(data, kind, settings.max_file_bytes), digest, settings)
        if kind in ARCHIVES:
            return Media(att.name, "snippet", archive_files(data, kind, settings), digest)
        if kind in ANIMATED_FORMATS and is_animated(data, settings.max_image_pixels):
            recording = open_animation(data, settings)
            return Media(att.name, "recording", recording, digest, recording.seconds)
        if kind in IMAGE_FORMATS:
            image = decode_image(data, settings.max_image_pixels, settings.image_working_pixels)
            return Media(att.name, "image", image, digest)
        if kind in AV_FORMATS and has_picture(data):
            recording = open_recording(data, settings)
            return Media(att.name, "recording", recording, digest, recording.seconds)
        if kind in AV_FORMATS:
            samples = decode_audio(data, settings.max_audio_seconds)
            return Media(att.name, "audio", samples, digest, len(samples) / SAMPLE_RATE)
    except BotError:
        raise
    except Exception as err:  # any library failure on user bytes means the file cannot be read
        log.info("could not decode %r (%s, %d bytes): %r", att.name, kind, len(data), err)
        raise CorruptMedia() from err
    raise unsupported(kind)


def unpacked(name: str, data: bytes, digest: str, settings: Settings) -> Media:
    """A compressed file's content as a log, or as the text files of the tar archive it holds."""
    kind = sniff(data)
    if kind == "tar":
        return Media(name, "snippet", archive_files(data, kind, settings), digest)
    if kind != "text":
        raise unsupported(kind)
    return Media(name, "snippet", decode_text(data, settings, "That log unpacks to"), digest)


def unsupported(kind: str | None) -> UnsupportedMedia:
    if kind == "html":
        return UnsupportedMedia(
            "The download returned a web page instead of the file; the Slack app probably lacks the "
            "files:read scope, so add it under OAuth & Permissions and reinstall the app."
        )
    what = OTHER_NAMES.get(kind or "", "a file type I can't read")
    return UnsupportedMedia(f"That looks like {what}; please send {SUPPORTED}.")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def decode_audio(data: bytes, max_seconds: float) -> np.ndarray:
    """Decode the first audio stream to 16 kHz mono float32, refusing clips over `max_seconds`."""
    with opened(data) as container:
        if not container.streams.audio:
            raise UnsupportedMedia(f"That file has neither sound nor picture; please send {SUPPORTED}.")
        stream = container.streams.audio[0]
        declared = declared_seconds(container, stream)
        if declared is not None and declared > max_seconds + 1:
            raise clip_too_long(max_seconds)
        samples = resample(container, stream, max_seconds, clip_too_long(max_seconds))
    if samples.size == 0:
        raise CorruptMedia("That voice clip has no sound in it; please record it again.")
    return for_listening(samples)


def clip_too_long(max_seconds: float) -> MediaTooLarge:
    return MediaTooLarge(f"That voice clip is longer than {max_seconds:g} seconds; please send a shorter one.")
