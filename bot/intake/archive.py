"""Logs sent packed: a compressed file (gzip, bzip2, xz: a rotated `app.log.1.gz`) is unpacked, and an archive (zip,
tar, tar.gz: a support bundle, a CI run's log archive) is read for its text files, each within the text limits.
Nothing is written to disk; what a file holds is sniffed from its bytes, never taken from its name."""

from __future__ import annotations

import bz2
import io
import lzma
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from typing import Any

from bot.errors import CorruptMedia, UnsupportedMedia
from bot.intake.sniff import sniff
from bot.intake.text import decode_text, log_too_large
from bot.records import TextFile
from bot.settings import Settings

DECOMPRESSORS: dict[str, Callable[[], Any]] = {
    "gzip": lambda: zlib.decompressobj(16 + zlib.MAX_WBITS),
    "bzip2": bz2.BZ2Decompressor,
    "xz": lzma.LZMADecompressor,
}
COMPRESSED = frozenset(DECOMPRESSORS)
ARCHIVES = frozenset({"zip", "tar"})
OFFICE_PART = "[Content_Types].xml"  # every Word, Excel and PowerPoint file is a zip holding this part
ZIP_ENCRYPTED = 0x1  # general-purpose flag bit of a password-protected zip member


def decompressed(data: bytes, kind: str, limit: int) -> bytes:
    """What `data` (compressed as `kind`) unpacks to, cut at `limit` + 1 bytes (so more than `limit` means cut);
    streams written one after another (`cat a.gz b.gz`) are read in turn, a truncated one as far as it goes."""
    out = bytearray()
    rest = data
    ended = False
    try:
        while rest and len(out) <= limit:
            stream = DECOMPRESSORS[kind]()
            out += stream.decompress(rest, limit + 1 - len(out))
            ended = stream.eof
            if not ended:
                break
            rest = stream.unused_data.lstrip(b"\0")  # a gzip writer may pad the end with zeros
    except (zlib.error, OSError, EOFError, lzma.LZMAError):
        ended = False
    if not out and not ended:
        raise CorruptMedia("That compressed file is damaged; please send it again.")
    return bytes(out)


def archive_files(data: bytes, kind: str, settings: Settings) -> tuple[TextFile, ...]:
    """The text files of a zip or tar archive, in its order: at most `max_archive_files` members are looked at, a
    compressed member is unpacked, and all the text read stays within `max_snippet_bytes`, a file that would
    overflow it left out. One clear sentence when nothing in it can be read."""
    budget = settings.max_snippet_bytes
    files: list[TextFile] = []
    locked = too_large = 0
    for name, read in members(data, kind, settings.max_archive_files):
        if read is None:
            locked += 1
            continue
        raw = read(budget + 1)
        inner = sniff(raw)
        if inner in COMPRESSED:
            try:
                raw = decompressed(raw, inner, budget)
            except CorruptMedia:
                continue
            inner = sniff(raw)
        if inner != "text" or not raw.strip():
            continue
        if len(raw) > budget:
            too_large += 1
            continue
        budget -= len(raw)
        files.append(TextFile(name, decode_text(raw, settings)))
    if files:
        return tuple(files)
    if locked:
        raise UnsupportedMedia("That archive is password-protected; please send the log itself.")
    if too_large:
        raise log_too_large("The logs in that archive are", settings)
    raise UnsupportedMedia("That archive holds no log or text file; please send the screenshot, recording or log.")


Reader = Callable[[int], bytes]
DAMAGE = (zipfile.BadZipFile, tarfile.TarError, zlib.error, EOFError, OSError, ValueError, NotImplementedError)


def members(data: bytes, kind: str, limit: int) -> Iterator[tuple[str, Reader | None]]:
    """(path, a reader of at most so many of its bytes, or None when it is password-protected) for the first `limit`
    regular files of a zip or tar archive; a damaged archive yields the files before the damage, and a member that
    cannot be read reads as empty."""
    listed = zip_members(data) if kind == "zip" else tar_members(data)
    count = 0
    try:
        for name, read in listed:
            yield name, read and safely(read)
            count += 1
            if count == limit:
                return
    except DAMAGE as err:
        if not count:
            raise CorruptMedia() from err


def safely(read: Reader) -> Reader:
    def bounded(size: int) -> bytes:
        try:
            return read(size)
        except DAMAGE:
            return b""

    return bounded


def zip_members(data: bytes) -> Iterator[tuple[str, Reader | None]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        entries = archive.infolist()
        if any(entry.filename == OFFICE_PART for entry in entries):
            raise UnsupportedMedia(
                "That looks like an Office document; please send a screenshot of the error or the log itself."
            )
        for entry in entries:
            if entry.is_dir():
                continue
            if entry.flag_bits & ZIP_ENCRYPTED:
                yield entry.filename, None
                continue

            def read(size: int, entry: zipfile.ZipInfo = entry) -> bytes:
                with archive.open(entry) as member:
                    return member.read(size)

            yield entry.filename, read


def tar_members(data: bytes) -> Iterator[tuple[str, Reader | None]]:
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as archive:
        for entry in archive:
            member = archive.extractfile(entry) if entry.isfile() else None
            if member is not None:
                yield entry.name, member.read
