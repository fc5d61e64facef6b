"""Lines a screen wrapped: a line too long for its window or page goes on at the start of the next row (a phone's
page wraps between words, a terminal at its last column). Read row by row, the failure's line is cut in two: git's
"error: Your local changes to the following files" and, below, "would be overwritten by merge:", which alone tells
the merge refusal from the checkout one. So rows a line wrapped onto are joined to it (`unwrapped`).

A row was wrapped onto the next when the next row's first word would not have fitted in the room left at its end:
room measured to where the row's background ends (the window's edge, a border, text beside it, the image's edge), less
the margin the next row keeps on its left (a page or a terminal keeps about the same margin both sides), and smaller
than a few text heights, as is the room to where the block's widest row ends (a short row is a line of its own, even
when a long word follows it or something stands close beside it). The next row starts where the block's text starts,
as high, one line's step below and on the same background (a window's title bar above its body is not). The row does
not end a sentence or open a list, and the next does not start as a program's own line does (a prompt, `curl: (7)`,
`npm error`, a log record's time or level): a terminal cropped narrower than its lines cuts them at its edge, which
looks the same as wrapping them.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Sequence

import numpy as np

from bot.extract.layout import Block, backgrounds, join_row, rows
from bot.extract.logs import COMMAND, LEVEL_NAME, TIMESTAMP, TRACEBACK
from bot.extract.ocr import TextBox
from bot.ranking.text import shows_prompt
from bot.records import TextLine

EDGE = 32  # a grey step of at least this between neighbouring pixels is an edge (a glyph's stroke, a border)...
EDGE_SHARE = 0.25  # ...and a column with edges in this share of a row's height ends the row's background
MOST_ROOM = 6.0  # room left at a row's end, in text heights, beyond which the row is a line of its own
SAME_HEIGHT = 1.3  # rows of one line differ in height by at most this factor...
LINE_STEP = 1.0  # ...lie at most this many heights apart (a blank line between them ends a paragraph)...
SAME_START = 1.0  # ...the next row starts within this many heights of where the block's text starts...
SAME_GROUND = 16  # ...and the rows' backgrounds (median colours) differ by at most this in any channel
CLEAR = 2  # pixels between a box's edge and where the background beyond it is looked at
ENDED = re.compile(r"[.:;!?]\s*$")  # a row that ends a sentence or opens a list ends its line
# what a line a program prints starts with: its name or a level before a colon (`curl: (7)`, `error:`, `FATAL:`), a
# prompt's user and host (`kim@dev-box:`, its `$` often misread), npm's prefix, a rule or a traceback's carets (one
# character over and over), or a log record's level (its time: `TIMESTAMP`)
LINE_START = re.compile(
    r"^\s*(?:\([\w.-]+\) )?(?:[\w.-]+@[\w.-]+ ?:|[\w./-]+ ?:(?![\w/\\])|npm (?:error|ERR!)|(\S)\1{3}|"
    rf"[\[(<]?(?i:{LEVEL_NAME})\b)"
)


def written_lines(block: Block, pixels: np.ndarray, at: float | None = None, window: int = 0) -> list[TextLine]:
    """The block's lines as written, read from `pixels` (H x W x 3): the rows a line was wrapped onto joined to it."""
    return [join_row(row, at, window) for row in unwrapped(rows(block.boxes), pixels)]


def unwrapped(block_rows: Sequence[Sequence[TextBox]], pixels: np.ndarray) -> list[list[TextBox]]:
    """`block_rows` (one block's, top to bottom, each left to right) with each row a line was wrapped onto joined to
    the line's first row."""
    if not block_rows:
        return []
    span = (min(row[0].left for row in block_rows), max(row[-1].right for row in block_rows))
    lines = [list(block_rows[0])]
    for above, below in itertools.pairwise(block_rows):
        if wrapped(above, below, span, pixels):
            lines[-1].extend(below)
        else:
            lines.append(list(below))
    return lines


def wrapped(above: Sequence[TextBox], below: Sequence[TextBox], span: tuple[float, float], pixels: np.ndarray) -> bool:
    """Whether the line of row `above` goes on in row `below` (`span`: where the block's text starts and where its
    widest row ends)."""
    high, low = height(above), height(below)
    size = max(high, low)
    if size > SAME_HEIGHT * min(high, low) or below[0].top - above[-1].bottom > LINE_STEP * size:
        return False
    if abs(below[0].left - span[0]) > SAME_START * size or span[1] - above[-1].right > MOST_ROOM * size:
        return False
    if ENDED.search(above[-1].text) or np.abs(ground(pixels, above) - ground(pixels, below)).max() > SAME_GROUND:
        return False
    if starts_a_line(" ".join(b.text.strip() for b in below)):
        return False
    margin = free(pixels, below, rightward=False)
    most = min(first_word_width(below), MOST_ROOM * size)
    return free(pixels, above, rightward=True, within=margin + most) - margin < most


def starts_a_line(text: str) -> bool:
    """Whether a row starts as a line a program or a shell prints does (a prompt anywhere in it, too): a terminal
    cropped narrower than its lines cuts them at its edge, and the next row is a line of its own."""
    starts = (LINE_START, TIMESTAMP, TRACEBACK, COMMAND)
    return any(pattern.match(text) for pattern in starts) or shows_prompt(text)


def height(row: Sequence[TextBox]) -> float:
    return float(np.median([b.height for b in row]))


def ground(pixels: np.ndarray, row: Sequence[TextBox]) -> np.ndarray:
    """The background colour of the row's band, from its first box's start to its last box's end (`backgrounds`)."""
    whole = TextBox("", 0.0, row[0].left, min(b.top for b in row), row[-1].right, max(b.bottom for b in row))
    return backgrounds([whole], pixels)[0]


def first_word_width(row: Sequence[TextBox]) -> float:
    """About how wide the row's first word is: its share of the first box's characters."""
    box = row[0]
    text = box.text.strip()
    word = text.split(maxsplit=1)[0] if text else ""
    return box.width * len(word) / max(1, len(text))


def free(pixels: np.ndarray, row: Sequence[TextBox], rightward: bool, within: float | None = None) -> float:
    """How many pixels of background lie beyond the row's end (`rightward`) or before its start, up to the first
    column that shows an edge in `EDGE_SHARE` of the row's height, or the image's edge; looked at `within` that many
    pixels when given (a screen of many rows is not scanned to its edge for each). The scan starts `CLEAR` pixels out
    of the row's box, which may end inside its last glyph."""
    width = pixels.shape[1]
    if rightward:
        beyond = pixels[band(pixels, row), int(min(width, max(0, row[-1].right + CLEAR))) :]
    else:
        beyond = pixels[band(pixels, row), : int(min(width, max(0, row[0].left - CLEAR)))][:, ::-1]
    if within is not None:
        beyond = beyond[:, : max(0, math.ceil(within)) + 1]
    if beyond.shape[0] == 0 or beyond.shape[1] < 2:
        return float(beyond.shape[1])
    steps = np.abs(np.diff(beyond.astype(np.int16).mean(axis=2), axis=1)) >= EDGE
    edged = np.flatnonzero(steps.mean(axis=0) >= EDGE_SHARE)
    return float(edged[0]) if edged.size else float(beyond.shape[1])


def band(pixels: np.ndarray, row: Sequence[TextBox]) -> slice:
    """The image's pixel rows the row's boxes cover."""
    return slice(int(max(0, min(b.top for b in row))), int(min(pixels.shape[0], max(b.bottom for b in row) + 1)))
