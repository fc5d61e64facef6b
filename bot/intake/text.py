"""Text as users send it: message text cleaned and capped, and text files (logs, snippets) decoded."""

from __future__ import annotations

import codecs
import re

from bot.errors import MediaTooLarge
from bot.har import within_limit
from bot.settings import Settings
from bot.terminal import printable

_LINE_BREAK = re.compile("\r\n?|[\x0b\x0c\x85\u2028\u2029]")
_SPACE = re.compile(r"[^\S\n]+")
_BLANK_LINES = re.compile(r" ?\n[ \n]*\n ?")
LEGACY = "supportbot-windows-1252"  # the error handler that reads a byte that is not UTF-8 as Windows-1252


def _as_windows_1252(err: UnicodeError) -> tuple[str, int]:
    if not isinstance(err, UnicodeDecodeError):
        raise err
    return err.object[err.start : err.end].decode("cp1252", errors="replace"), err.end


codecs.register_error(LEGACY, _as_windows_1252)


def clean_text(text: str, settings: Settings) -> str:
    """Strip control characters, collapse whitespace (keeping line breaks) and cap the length.

    Only a prefix is cleaned, grown until it yields enough text, so a 10 MB paste costs little."""
    return clean_capped(text, settings.max_text_chars)


def clean_capped(text: str, limit: int) -> str:
    """`text` cleaned as `clean_text` does, cut to `limit` characters."""
    size = 4 * limit + 1024
    while True:
        cleaned = clean(text[:size])
        if len(cleaned) > limit + 64 or size >= len(text):  # + 64: the cut only affects the tail
            return cleaned[:limit].rstrip()
        size *= 4


def clean(text: str) -> str:
    """Control characters and terminal escapes removed, whitespace collapsed, line breaks kept."""
    text = printable(_LINE_BREAK.sub("\n", text))
    text = _SPACE.sub(" ", text)
    text = _BLANK_LINES.sub("\n\n", text).replace(" \n", "\n").replace("\n ", "\n")
    return text.strip()


def decode_text(data: bytes, settings: Settings, what: str = "") -> str:
    """A text file (log, snippet, JSON) as text, refused over `max_snippet_bytes` (`what` it is, for the sentence:
    "That log unpacks to"); a HAR file over it is kept within it by cutting the bodies it recorded, where that is
    enough."""
    if len(data) > settings.max_snippet_bytes:
        kept = within_limit(data, settings.max_snippet_bytes)
        if kept is None:
            raise log_too_large(what or f"That text file is {len(data) / 1e6:.1f} MB,", settings)
        data = kept
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16", errors="replace")
    return decoded(data).lstrip("\ufeff")


def decoded(data: bytes) -> str:
    """UTF-8 text, where a byte that is not UTF-8 is read as Windows-1252: a log written by a Windows program in the
    system's code page (`C:\\Users\\José`, `’`, `µs`), or a UTF-8 log with such a line in it, reads as it was meant."""
    return data.decode("utf-8", errors=LEGACY)


def log_too_large(what: str, settings: Settings) -> MediaTooLarge:
    """The sentence for text over `max_snippet_bytes`, `what` saying what it is ("That log unpacks to")."""
    return MediaTooLarge(
        f"{what} over the {settings.max_snippet_bytes / 1e6:g} MB limit for logs; "
        "please send the part around the error."
    )
