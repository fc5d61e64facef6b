"""A HAR file (a browser's record of a page's requests) larger than the limit for text, kept within it: most of a
HAR's size is the bodies it recorded (the page's scripts and styles, pictures in base64), and of each body only its
start is read (`bot.extract.har`), so each is cut to that before the limit is checked."""

from __future__ import annotations

import re

BODY_CHARS = 4000  # of a response's body, this much is read: an error page or body says what failed at its top
# a JSON string's characters: a plain byte, an escape, a \u escape (told apart by their first two bytes, so that a
# string that never ends cannot be matched in more than one way); possessive, so each is read once
_CHAR = rb'(?:[^"\\]|\\[^u]|\\u[0-9a-fA-F]{4})'
_LONG_BODY = re.compile(rb'("text"\s*:\s*")(' + _CHAR + rb"{%d}+)" % (2 * BODY_CHARS) + _CHAR + rb'++"')
_HAR = re.compile(rb'\s*\{\s*"log"\s*:')


def within_limit(data: bytes, limit: int) -> bytes | None:
    """`data` with each recorded body cut to twice `BODY_CHARS` characters (a body sent in base64 takes more) when it
    is a HAR, if that brings it within `limit` bytes; None otherwise."""
    if not _HAR.match(data[:256]):
        return None
    cut = _LONG_BODY.sub(rb'\1\2"', data)
    return cut if len(cut) <= limit else None
