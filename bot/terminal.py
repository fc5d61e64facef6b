"""What a terminal's output holds besides text: escape sequences (colours, window titles, hyperlinks) and control
characters, as logs saved with colour and `script` recordings keep them."""

from __future__ import annotations

import re

CONTROL = re.compile(
    "[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff\ud800-\udfff]"
)
# CSI sequences (colours, cursor moves, bracketed paste), OSC ones (window titles, hyperlinks; ended by BEL or ST, or
# cut off), character-set choices and the other two-character escapes
ESCAPE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b\n]*(?:\x07|\x1b\\)?|\x1b[()*+][0-9A-Za-z]|\x1b[@-Z\\^_=>78]"
)
# the characters of a terminal's output that are neither printable nor spacing: escapes, the bell that ends a title,
# backspaces (spinners, overstrikes), form feeds (tab and line ends aside)
NON_PRINTING = frozenset("\x1b\x07\x08\x0c")


def printable(text: str) -> str:
    """`text` without terminal escapes and control characters; spacing, tabs and line breaks as they are."""
    return CONTROL.sub("", ESCAPE.sub("", text))
