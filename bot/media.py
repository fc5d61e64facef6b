"""Decode what a user sent: sniff the real type from its bytes, check the limits, return `Media`.

Names and claimed MIME types are ignored (Slack labels m4a voice clips `video/mp4`). Whatever the
bytes are, only `BotError`s leave this module.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
import warnings
from typing import Any

import numpy as np
from PIL import Image, ImageOps

from bot.errors import BotError, CorruptMedia, MediaTooLarge, UnsupportedMedia
from bot.records import Attachment, Media
from bot.settings import Settings

log = logging.getLogger(__name__)

SAMPLE_RATE = 16_000
SUPPORTED = "a PNG, JPEG, WebP, GIF or BMP screenshot, or a WAV, Ogg/Opus, MP3, M4A, WebM or FLAC voice clip"
IMAGE_FORMATS = frozenset({"png", "jpeg", "webp", "gif", "bmp"})
AUDIO_FORMATS = frozenset({"wav", "ogg", "mp3", "mp4", "webm", "flac"})
OTHER_NAMES = {"pdf": "a PDF", "zip": "a zip archive (or Office document)", "text": "a text file"}

_SIGNATURES: tuple[tuple[int, bytes, str], ...] = (
    (0, b"\x89PNG\r\n\x1a\n", "png"),
    (0, b"\xff\xd8\xff", "jpeg"),
    (0, b"GIF87a", "gif"),
    (0, b"GIF89a", "gif"),
    (0, b"BM", "bmp"),
    (0, b"OggS", "ogg"),
    (0, b"fLaC", "flac"),
    (0, b"ID3", "mp3"),
    (0, b"\x1a\x45\xdf\xa3", "webm"),
    (4, b"ftyp", "mp4"),
    (0, b"%PDF", "pdf"),
    (0, b"PK\x03\x04", "zip"),
)
_HTML = re.compile(rb"^\s*(<\?xml[^>]*>\s*)?(<!--.*?-->\s*)*<(!doctype\s+html|html|head|body)\b", re.I | re.S)


def sniff(data: bytes) -> str | None:
    """The real format of `data` from its leading bytes: a short name such as "png" or "ogg", else None."""
    head = data[:64]
    if head[:4] == b"RIFF" and head[8:12] in (b"WEBP", b"WAVE"):
        return "webp" if head[8:12] == b"WEBP" else "wav"
    for offset, magic, name in _SIGNATURES:
        if head[offset : offset + len(magic)] == magic:
            return name
    if len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0:
        return "mp3"  # an MPEG audio frame without an ID3 tag
    if _HTML.match(data[:2048]):
        return "html"
    return "text" if _is_text(data[:4096]) else None


def _is_text(head: bytes) -> bool:
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as err:
        if err.start < len(head) - 4:  # not merely a character cut in half at the end
            return False
        text = head[: err.start].decode("utf-8")
    return all(ch.isprintable() or ch in "\r\n\t" for ch in text)


def decode_attachment(att: Attachment, settings: Settings) -> Media:
    """Check `att` against the limits and decode it into an RGB image or 16 kHz mono samples."""
    data = att.data
    if not data:
        raise CorruptMedia("That file is empty; please send the screenshot or voice clip again.")
    if len(data) > settings.max_file_bytes:
        limit = settings.max_file_bytes / 1_000_000
        raise MediaTooLarge(f"That file is over the {limit:g} MB limit; please send a smaller one.")
    kind = sniff(data)
    try:
        if kind in IMAGE_FORMATS:
            image = decode_image(data, settings.max_image_pixels)
            return Media(att.name, "image", image, _sha256(data))
        if kind in AUDIO_FORMATS:
            samples = decode_audio(data, settings.max_audio_seconds)
            return Media(att.name, "audio", samples, _sha256(data), len(samples) / SAMPLE_RATE)
    except BotError:
        raise
    except Exception as err:  # any library failure on user bytes means the file cannot be read
        log.info("could not decode %r (%s, %d bytes): %r", att.name, kind, len(data), err)
        raise CorruptMedia() from err
    raise _unsupported(kind)


def _unsupported(kind: str | None) -> UnsupportedMedia:
    if kind == "html":
        return UnsupportedMedia(
            "The download returned a web page instead of the file; the Slack app probably lacks the "
            "files:read scope, so add it under OAuth & Permissions and reinstall the app."
        )
    what = OTHER_NAMES.get(kind or "", "a file type I can't read")
    return UnsupportedMedia(f"That looks like {what}; please send {SUPPORTED}.")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def decode_image(data: bytes, max_pixels: int) -> Image.Image:
    """Decode an image to RGB with its EXIF orientation applied, checking its size before decoding."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image: Image.Image = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as err:
        raise _too_many_pixels(max_pixels) from err
    width, height = image.size
    if width * height > max_pixels:
        raise _too_many_pixels(max_pixels)
    if width < 1 or height < 1:
        raise CorruptMedia()
    image.load()  # first frame only for GIF/WebP animations; raises on truncated data
    image = ImageOps.exif_transpose(image) or image
    return _to_rgb(image)


def _too_many_pixels(max_pixels: int) -> MediaTooLarge:
    return MediaTooLarge(
        f"That image is over the {max_pixels / 1_000_000:g}-megapixel limit; please send a smaller screenshot."
    )


def _to_rgb(image: Image.Image) -> Image.Image:
    """Flatten transparency onto white (screenshots with alpha would otherwise turn black)."""
    if image.mode == "RGB":
        return image
    if "A" in image.getbands() or "transparency" in image.info:
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image.convert("RGB")


def decode_audio(data: bytes, max_seconds: float) -> np.ndarray:
    """Decode the first audio stream to 16 kHz mono float32, refusing clips over `max_seconds`."""
    import av  # bundles FFmpeg; imported here so image-only callers don't pay for it

    with av.open(io.BytesIO(data), mode="r") as container:
        if not container.streams.audio:
            raise UnsupportedMedia(f"That file has no sound track; please send {SUPPORTED}.")
        stream = container.streams.audio[0]
        declared = _declared_seconds(container, stream)
        if declared is not None and declared > max_seconds + 1:
            raise _too_long(max_seconds)
        samples = _resample(container, stream, max_seconds)
    if samples.size == 0:
        raise CorruptMedia("That voice clip has no sound in it; please record it again.")
    return samples


def _declared_seconds(container: Any, stream: Any) -> float | None:
    """The duration the container's metadata claims, if it claims one."""
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return float(container.duration) / 1_000_000
    return None


def _resample(container: Any, stream: Any, max_seconds: float) -> np.ndarray:
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
            raise _too_long(max_seconds)
    chunks.extend(out.to_ndarray().reshape(-1) for out in resampler.resample(None))
    if not chunks:
        return np.zeros(0, dtype=np.float32)
    return np.concatenate(chunks).astype(np.float32, copy=False)[:limit]


def _too_long(max_seconds: float) -> MediaTooLarge:
    return MediaTooLarge(f"That voice clip is longer than {max_seconds:g} seconds; please send a shorter one.")


_CONTROL = re.compile(
    "[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff\ud800-\udfff]"
)
_LINE_BREAK = re.compile("\r\n?|[\x0b\x0c\x85\u2028\u2029]")
_SPACE = re.compile(r"[^\S\n]+")
_BLANK_LINES = re.compile(r" ?\n[ \n]*\n ?")


def clean_text(text: str, settings: Settings) -> str:
    """Strip control characters, collapse whitespace (keeping line breaks) and cap the length.

    Only a prefix is cleaned, grown until it yields enough text, so a 10 MB paste costs little."""
    limit = settings.max_text_chars
    size = 4 * limit + 1024
    while True:
        cleaned = _clean(text[:size])
        if len(cleaned) > limit + 64 or size >= len(text):  # + 64: the cut only affects the tail
            return cleaned[:limit].rstrip()
        size *= 4


def _clean(text: str) -> str:
    text = _LINE_BREAK.sub("\n", text)
    text = _CONTROL.sub("", text)
    text = _SPACE.sub(" ", text)
    text = _BLANK_LINES.sub("\n\n", text).replace(" \n", "\n").replace("\n ", "\n")
    return text.strip()
