"""Tell a file's real format from its leading bytes; names and claimed MIME types are never trusted."""

from __future__ import annotations

import re

from bot.intake.text import decoded
from bot.terminal import NON_PRINTING

IMAGE_FORMATS = frozenset({"png", "jpeg", "webp", "gif", "bmp", "tiff", "heif", "avif"})
# audio, or video when a picture track is found
AV_FORMATS = frozenset({"wav", "ogg", "mp3", "aac", "amr", "mp4", "webm", "flac"})

_SIGNATURES: tuple[tuple[int, bytes, str], ...] = (
    (0, b"\x89PNG\r\n\x1a\n", "png"),
    (0, b"\xff\xd8\xff", "jpeg"),
    (0, b"GIF87a", "gif"),
    (0, b"GIF89a", "gif"),
    (0, b"BM", "bmp"),
    (0, b"II*\x00", "tiff"),
    (0, b"MM\x00*", "tiff"),
    (0, b"OggS", "ogg"),
    (0, b"fLaC", "flac"),
    (0, b"ID3", "mp3"),
    (0, b"#!AMR", "amr"),  # AMR-NB or AMR-WB: Android's voice recorders and call recordings
    (0, b"\x1a\x45\xdf\xa3", "webm"),  # Matroska / WebM
    (0, b"%PDF", "pdf"),
    (0, b"PK\x03\x04", "zip"),
    (0, b"PK\x05\x06", "zip"),  # an empty zip
    (0, b"\x1f\x8b", "gzip"),
    (0, b"\xfd7zXZ\x00", "xz"),
    (0, b"7z\xbc\xaf\x27\x1c", "7z"),
    (0, b"Rar!\x1a\x07", "rar"),
)
_BZIP2_BLOCKS = (b"\x31\x41\x59\x26\x53\x59", b"\x17\x72\x45\x38\x50\x90")  # a block, or the end of the stream
# ISO base media files name their brands in the `ftyp` box: HEIC/HEIF and AVIF stills, else MP4/MOV/M4A
_HEIF_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs", b"mif1", b"msf1"})
_AVIF_BRANDS = frozenset({b"avif", b"avis"})
_HTML = re.compile(rb"^\s*(<\?xml[^>]*>\s*)?(<!--.*?-->\s*)*<(!doctype\s+html|html|head|body)\b", re.I | re.S)


def sniff(data: bytes) -> str | None:
    """The real format of `data`: a short name such as "png", "heif", "mp4" or "text", else None."""
    head = data[:64]
    if head[:4] == b"RIFF" and head[8:12] in (b"WEBP", b"WAVE"):
        return "webp" if head[8:12] == b"WEBP" else "wav"
    if head[4:8] == b"ftyp":
        return _iso_brand(data[: min(len(data), 4 + int.from_bytes(head[:4], "big"), 256)])
    for offset, magic, name in _SIGNATURES:
        if head[offset : offset + len(magic)] == magic:
            return name
    if head[:3] == b"BZh" and head[3:4].isdigit() and head[4:10] in _BZIP2_BLOCKS:
        return "bzip2"
    if data[257:262] == b"ustar":  # a tar archive's first header (POSIX and GNU)
        return "tar"
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):  # UTF-16 with a byte-order mark (Windows logs)
        encoding = "utf-16-be" if head[0] == 0xFE else "utf-16-le"
        return "text" if is_text(data[2:4096].decode(encoding, "ignore").encode()) else None
    if len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0:  # an MPEG audio frame, no ID3 tag
        return "aac" if head[1] & 0xF6 == 0xF0 else "mp3"  # ADTS: MPEG sync with layer 0 (a raw .aac file)
    if _HTML.match(data[:2048]):
        return "html"
    return "text" if is_text(data[:4096]) else None


def _iso_brand(box: bytes) -> str:
    """`heif`, `avif` or `mp4` from an `ftyp` box: the major brand, then the compatible ones."""
    brands = [box[8:12]] + [box[i : i + 4] for i in range(16, len(box) - 3, 4)]
    if brands[0] in _AVIF_BRANDS or (brands[0] in (b"mif1", b"msf1") and _AVIF_BRANDS & set(brands)):
        return "avif"
    if brands[0] in _HEIF_BRANDS:
        return "heif"
    return "mp4"


def is_text(head: bytes) -> bool:
    """Whether `head` reads as text of printable characters: UTF-8, or bytes of a Windows code page among it."""
    text = decoded(head).removeprefix("\ufeff")  # a byte-order mark
    return all(ch.isprintable() or ch in "\r\n\t" or ch in NON_PRINTING for ch in text)
