"""Logs sent packed (compressed, zipped, in a tar) or written in a Windows code page: read as the logs they hold."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import tarfile
import tracemalloc
import zipfile
import zlib

import pytest

from bot.errors import CorruptMedia, MediaTooLarge, UnsupportedMedia
from bot.extract.logs import archive_lines
from bot.intake import decode_attachment, sniff
from bot.records import Attachment, TextFile
from bot.settings import Settings
from tests.support import decode_mangled

ROUTINE = "".join(f"2026-11-30T10:{i // 60:02d}:{i % 60:02d}Z INFO GET /health 200 {i}ms\n" for i in range(300))
FAILURE = 'Traceback (most recent call last):\n  File "tool.py", line 1\n    import yaml\n'
FAILURE += "ModuleNotFoundError: No module named 'yaml'\n"
APP_LOG = ROUTINE + FAILURE + "".join(ROUTINE.splitlines(keepends=True)[:50])
OTHER_FAILURE = "2026-11-30T10:05:00Z ERROR smtp: 421 4.7.0 Try again later, closing connection\n"
APPLE_DOUBLE = b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        " + bytes(64)


@pytest.fixture
def settings() -> Settings:
    return Settings()


def zipped(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


def locked(data: bytes) -> bytes:
    """A zip whose files are marked password-protected (zipfile cannot write one), in both of their headers."""
    out = bytearray(data)
    for signature, flags in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = out.find(signature)
        while at >= 0:
            out[at + flags] |= 0x1
            at = out.find(signature, at + 4)
    return bytes(out)


def tarred(files: dict[str, bytes], mode: str = "w:gz") -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode=mode) as archive:  # type: ignore[call-overload]
        folder = tarfile.TarInfo("bundle/logs")
        folder.type = tarfile.DIRTYPE
        archive.addfile(folder)
        archive.addfile(tarfile.TarInfo("bundle/empty.log"))
        for name, data in files.items():
            entry = tarfile.TarInfo(name)
            entry.size = len(data)
            archive.addfile(entry, io.BytesIO(data))
    return out.getvalue()


BUNDLE = {
    "bundle/system-info.txt": b"host: web-3\nos: Ubuntu 24.04\n",
    "bundle/charts/cpu.png": b"\x89PNG\r\n\x1a\n" + bytes(range(256)),
    "bundle/logs/app.log": APP_LOG.encode(),
    "bundle/logs/app.log.1.gz": gzip.compress(ROUTINE.encode()),
    "__MACOSX/bundle/logs/._app.log": APPLE_DOUBLE,
}


@pytest.mark.parametrize("compress", [gzip.compress, bz2.compress, lzma.compress])
def test_a_compressed_log_is_read_as_the_log(compress: object, settings: Settings) -> None:
    data = compress(APP_LOG.encode())  # type: ignore[operator]
    media = decode_attachment(Attachment("app.log.1.gz", data, "application/gzip"), settings)
    assert media.kind == "snippet" and media.payload == APP_LOG


def test_gzip_streams_one_after_another_are_read_in_turn_and_a_cut_one_as_far_as_it_goes(settings: Settings) -> None:
    joined = gzip.compress(ROUTINE.encode()) + gzip.compress(FAILURE.encode())
    assert decode_attachment(Attachment("a.gz", joined), settings).payload == ROUTINE + FAILURE
    cut = gzip.compress(APP_LOG.encode())[:-200]
    read = decode_attachment(Attachment("a.gz", cut), settings).payload
    assert read and APP_LOG.startswith(read) and len(read) < len(APP_LOG)
    with pytest.raises(CorruptMedia) as raised:
        decode_attachment(Attachment("a.gz", b"\x1f\x8b\x08\x00garbage"), settings)
    assert raised.value.message == "That compressed file is damaged; please send it again."


@pytest.mark.parametrize("pack", ["zip", "tar.gz", "tar"])
def test_an_archive_is_read_for_its_text_files_in_its_order(pack: str, settings: Settings) -> None:
    data = zipped(BUNDLE) if pack == "zip" else tarred(BUNDLE, "w:gz" if pack == "tar.gz" else "w")
    media = decode_attachment(Attachment(f"bundle.{pack}", data), settings)
    assert media.kind == "snippet"
    assert [f.name for f in media.payload] == [
        "bundle/system-info.txt",
        "bundle/logs/app.log",
        "bundle/logs/app.log.1.gz",
    ]
    assert media.payload[1].text == APP_LOG and media.payload[2].text == ROUTINE  # a rotated log inside is unpacked


def test_only_the_files_that_show_a_failure_are_searched_each_also_alone_when_several_do() -> None:
    info = TextFile("system-info.txt", "host: web-3\nos: Ubuntu 24.04\n")
    app, mail = TextFile("app.log", APP_LOG), TextFile("mail.log", ROUTINE + OTHER_FAILURE)
    alone = archive_lines([info, app, TextFile("old.log", ROUTINE)], 40)
    assert {line.window for line in alone} == {0} and "No module named 'yaml'" in alone[-1].text
    assert not any("host" in line.text or "/health" in line.text for line in alone)
    both = archive_lines([info, app, mail], 40)
    assert {line.window for line in both} == {1, 2}
    assert [line.text for line in both if line.window == 2] == [OTHER_FAILURE.split("Z ", 1)[1].strip()]
    warned = TextFile("old.log", ROUTINE + "2026-11-29T10:00:00Z WARN  upstream timeout, retrying\n")
    assert archive_lines([info, warned, app], 40) == archive_lines([app], 40)  # a warning is not the failure
    quiet = archive_lines([info, TextFile("old.log", ROUTINE)], 40)
    assert any("host: web-3" in line.text for line in quiet) and len(quiet) <= 40  # none fails: all are read


def test_a_windows_1252_log_is_text_read_as_it_was_meant(settings: Settings) -> None:
    head = "Acme Sync 4.2 – log started – C:\\Users\\José\\AppData\r\n"
    log = head + "2026-11-30 10:02:11 INFO sync finished in 850 µs, user’s session restored\r\n" + FAILURE
    media = decode_attachment(Attachment("sync.log", log.encode("cp1252"), "text/plain"), settings)
    assert media.kind == "snippet" and media.payload == log
    mixed = "café → ok\n".encode() + "José’s log\n".encode("cp1252")  # a UTF-8 log with one line in the code page
    assert decode_attachment(Attachment("mixed.log", mixed), settings).payload == "café → ok\nJosé’s log\n"
    assert sniff(bytes(range(256)) * 4) is None  # control bytes still make a file binary


def test_what_cannot_be_read_in_an_archive_gets_one_sentence(settings: Settings) -> None:
    cases = {
        "password": (locked(zipped({"app.log": APP_LOG.encode()})), "password-protected"),
        "office": (zipped({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w/>"}), "Office document"),
        "no text": (zipped({"cpu.png": BUNDLE["bundle/charts/cpu.png"]}), "holds no log or text file"),
        "7z": (b"7z\xbc\xaf\x27\x1c\x00\x04" + bytes(64), "7-Zip archive"),
        "damaged zip": (b"PK\x03\x04" + bytes(40), "could not be read"),
    }
    for name, (data, said) in cases.items():
        with pytest.raises(UnsupportedMedia) as raised:
            decode_attachment(Attachment(name, data), settings)
        assert said in raised.value.message and raised.value.message.endswith("."), name


def test_packed_bombs_are_read_within_the_text_limits(settings: Settings) -> None:
    chunk = b"2026-11-30 INFO all good\n" * 400_000  # 10 MB; each bomb unpacks to 300 MB
    member = zipfile.ZipInfo("huge.log")
    member.compress_type = zipfile.ZIP_DEFLATED
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive, archive.open(member, "w") as stream:
        for _ in range(30):
            stream.write(chunk)
    packer = zlib.compressobj(1, wbits=16 + zlib.MAX_WBITS)
    gz = b"".join(packer.compress(chunk) for _ in range(30)) + packer.flush()
    tracemalloc.start()
    for name, data in {"huge.zip": out.getvalue(), "huge.log.gz": gz}.items():
        with pytest.raises(MediaTooLarge) as raised:
            decode_attachment(Attachment(name, data), settings)
        assert "5 MB limit for logs" in raised.value.message
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 80_000_000, f"{peak / 1e6:.0f} MB"


def test_an_archive_is_read_only_within_its_file_cap(settings: Settings) -> None:
    many = {f"logs/{n:03d}.log": f"INFO file {n}\n".encode() for n in range(300)}
    media = decode_attachment(
        Attachment("many.zip", zipped(many)), settings.model_copy(update={"max_archive_files": 7})
    )
    assert [f.name for f in media.payload] == [f"logs/{n:03d}.log" for n in range(7)]


def test_mangled_archives_only_ever_raise_bot_errors(settings: Settings) -> None:
    files = {"bundle/logs/app.log": APP_LOG.encode()[:4000], "bundle/old.log.gz": gzip.compress(ROUTINE.encode())}
    samples = [zipped(files), tarred(files), gzip.compress(APP_LOG.encode()), bz2.compress(APP_LOG.encode())]
    decode_mangled(samples, settings, tries=12, seed=11)
