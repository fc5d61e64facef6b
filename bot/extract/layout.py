"""Where text sits on a screen: boxes grouped into blocks (a window, a pane, a sidebar), the blocks that show the
failure picked out (window by window, when failures show side by side; when none does, the terminals where a command
ran, and else all but an editor's code), and lines put in reading order within each block.

Two boxes belong to one block when they are close — on one row, or one above the other in the same column —
relative to their text height, and sit on the same background colour: windows side by side on a desktop differ
in background, so a code editor's rows are never joined to the terminal's beside it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from bot.extract.ocr import TextBox
from bot.ranking.text import reads_as_code, shows_failure, shows_prompt
from bot.records import TextLine

ROW_GAP = 2.5  # boxes on one row join across a gap of up to this many text heights...
COLUMN_GAP = 1.8  # ...and lines one above the other across this many
SAME_BACKGROUND = 48  # largest difference of any colour channel between backgrounds of one block
PAIR_CHUNK = 256  # boxes compared at a time with their neighbours when grouping
CODE_SHARE = 0.5  # a block at least this share of whose lines read as code is an editor's


@dataclass(eq=False)
class Block:
    """Boxes that belong together (never changed once grouped), with their background colour and bounds; a block is
    only ever equal to itself."""

    boxes: list[TextBox]
    background: np.ndarray

    @functools.cached_property
    def left(self) -> float:
        return min(b.left for b in self.boxes)

    @functools.cached_property
    def right(self) -> float:
        return max(b.right for b in self.boxes)

    @functools.cached_property
    def top(self) -> float:
        return min(b.top for b in self.boxes)

    @functools.cached_property
    def bottom(self) -> float:
        return max(b.bottom for b in self.boxes)

    @functools.cached_property
    def height(self) -> float:
        """The median height of the block's text."""
        return float(np.median([b.height for b in self.boxes]))

    def lines(self, at: float | None = None, window: int = 0) -> list[TextLine]:
        return [join_row(row, at, window) for row in rows(self.boxes)]

    def error_score(self) -> float:
        """How much the block reads like an error: its error lines, over the square root of all its lines."""
        return self.density(shows_failure)

    def density(self, shows: Callable[[str], bool]) -> float:
        """The block's lines that `shows` holds for, over the square root of all its lines."""
        lines = self.lines()
        return sum(1 for line in lines if shows(line.text)) / len(lines) ** 0.5

    def shows_error(self) -> bool:
        return self.error_score() > 0

    def shows_code(self) -> bool:
        """Whether the block reads as an editor's source code (`CODE_SHARE` of its lines or more)."""
        lines = self.lines()
        return sum(1 for line in lines if reads_as_code(line.text)) >= CODE_SHARE * len(lines)


def backgrounds(boxes: Sequence[TextBox], pixels: np.ndarray) -> np.ndarray:
    """The median colour inside each box (text covers far less of a box than its background does)."""
    height, width = pixels.shape[:2]
    out = np.zeros((len(boxes), 3), dtype=np.float32)
    for i, box in enumerate(boxes):
        top, bottom = int(max(0, box.top)), int(min(height, box.bottom + 1))
        left, right = int(max(0, box.left)), int(min(width, box.right + 1))
        patch = pixels[top:bottom:2, left:right:2].reshape(-1, 3)
        if patch.size:
            out[i] = np.median(patch, axis=0)
    return out


def group(boxes: Sequence[TextBox], pixels: np.ndarray) -> list[Block]:
    """The blocks of `boxes`, top to bottom; `pixels` is the image they were read from (H x W x 3)."""
    if not boxes:
        return []
    colour = backgrounds(boxes, pixels)
    bounds = np.array([[getattr(b, k) for k in BOUNDS] for b in boxes], dtype=np.float32)
    parent = list(range(len(boxes)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in joined_pairs(bounds, colour):
        parent[root(i)] = root(j)
    members: dict[int, list[int]] = {}
    for i in range(len(boxes)):
        members.setdefault(root(i), []).append(i)
    blocks = [Block([boxes[i] for i in idx], colour[idx].mean(axis=0)) for idx in members.values()]
    return sorted(blocks, key=lambda b: (b.top, b.left))


def joined_pairs(bounds: np.ndarray, colour: np.ndarray) -> Iterator[tuple[int, int]]:
    """The pairs of boxes (indices into `bounds`, rows of left, top, right, bottom) that belong to one block: close on
    one row or in one column (`ROW_GAP`, `COLUMN_GAP`) and on the same background. Boxes are compared `PAIR_CHUNK` at
    a time with those near enough above and below to qualify, so time and memory grow with the boxes and their
    neighbours, not with the square of the boxes (a 4K spreadsheet's 10,000 cells held 4 GB compared all at once)."""
    left, top, right, bottom = bounds.T
    tallest = float((bottom - top).max())
    reach = COLUMN_GAP * tallest  # no two boxes of a block lie farther apart one above the other
    order = np.argsort(top, kind="stable")
    tops = top[order]
    for start in range(0, len(order), PAIR_CHUNK):
        a = order[start : start + PAIR_CHUNK]
        first = np.searchsorted(tops, top[a].min() - reach - tallest)
        b = order[first : np.searchsorted(tops, bottom[a].max() + reach, side="right")]
        low, high = (bottom - top)[a][:, None], (bottom - top)[b][None, :]
        height = np.maximum(low, high)
        overlap_x = np.minimum(right[a][:, None], right[b][None, :]) - np.maximum(left[a][:, None], left[b][None, :])
        overlap_y = np.minimum(bottom[a][:, None], bottom[b][None, :]) - np.maximum(top[a][:, None], top[b][None, :])
        same_row = (overlap_y > 0.5 * np.minimum(low, high)) & (-overlap_x < ROW_GAP * height)
        same_column = (overlap_x > 0) & (-overlap_y < COLUMN_GAP * height)
        alike = np.abs(colour[a][:, None, :] - colour[b][None, :, :]).max(axis=2) < SAME_BACKGROUND
        for i, j in zip(*np.nonzero((same_row | same_column) & alike), strict=True):
            yield int(a[i]), int(b[j])


BOUNDS = ("left", "top", "right", "bottom")


def focus(blocks: list[Block]) -> list[Block]:
    """The blocks of the screen's failing windows (`failing_windows`)."""
    return [block for window in failing_windows(blocks) for block in window]


def windows(blocks: Sequence[Block]) -> list[int]:
    """Which failing window each block belongs to, numbered from 1 left to right; 0 for all when there is one."""
    found = failing_windows(list(blocks))
    if len(found) < 2:
        return [0] * len(blocks)
    number = {id(block): n for n, window in enumerate(found, start=1) for block in window}
    return [number.get(id(block), 0) for block in blocks]


def failing_windows(blocks: list[Block]) -> list[list[Block]]:
    """The blocks that show the failure and what belongs with them, left to right: when some blocks read like an
    error, those in the densest one's column at least half as dense in error lines, and every block not mostly
    beside them (the lines above and below); blocks beside them go (an editor full of code, a chat sidebar, a log
    tail, the other windows' titles and a menu bar's items, whose words otherwise enter the question). When one of
    the blocks beside them shows an error too (a failing terminal beside a log tail of other failures, which is
    denser in error lines; a traceback's frames beside its heading), its window is found the same way among them.
    When no block reads like an error (the failing line cut off or misread, a hint such as git's "Please commit your
    changes…" left), the terminals where a command ran, by their prompts, stand for the failing windows the same way."""
    scores = {id(block): block.error_score() for block in blocks}
    if not any(scores.values()):
        scores = {id(block): block.density(shows_prompt) for block in blocks}
    found: list[list[Block]] = []
    rest = blocks
    while True:
        window, rest = failing_window(rest, scores)
        found.append(window)
        if not any(scores[id(block)] for block in rest):
            return found if len(found) == 1 else sorted(found, key=lambda window: min(b.left for b in window))


def failing_window(blocks: list[Block], scores: dict[int, float]) -> tuple[list[Block], list[Block]]:
    """The window of the block densest in error lines (or prompts: `scores`, keyed by `id`) and the blocks beside it.
    When none scores (no error line, no prompt), all the blocks but an editor's code, which tells nothing of a failure
    no line states (all of them when that is all), and none beside. Blocks are told apart by identity, so each window
    is split off in time linear in the blocks (a status board of thousands of failing cells side by side has as many
    windows)."""
    best = max((scores[id(block)] for block in blocks), default=0.0)
    if not best:
        return [block for block in blocks if not block.shows_code()] or blocks, []
    densest = next(block for block in blocks if scores[id(block)] == best)
    failing = [b for b in blocks if scores[id(b)] >= best / 2 and not beside(b, (densest.left, densest.right))]
    span = (min(b.left for b in failing), max(b.right for b in failing))
    chosen = {id(b) for b in failing}
    kept = [b for b in blocks if id(b) in chosen or not beside(b, span)]
    taken = {id(b) for b in kept}
    return kept, [b for b in blocks if id(b) not in taken]


def beside(block: Block, span: tuple[float, float]) -> bool:
    """Whether `block` stands mostly beside the columns `span` covers (left, right), not above or below them."""
    shared = min(block.right, span[1]) - max(block.left, span[0])
    return shared < 0.5 * (block.right - block.left)


def rows(boxes: Sequence[TextBox]) -> list[list[TextBox]]:
    """Boxes that sit on one visual row, left to right; rows top to bottom."""
    found: list[list[TextBox]] = []
    for box in sorted(boxes, key=lambda b: (b.top + b.bottom) / 2):
        middle = (box.top + box.bottom) / 2
        row = found[-1] if found else None
        if row is not None and row[0].top < middle < row[0].bottom:
            row.append(box)
        else:
            found.append([box])
    return [sorted(row, key=lambda b: b.left) for row in found]


def join_row(row: Sequence[TextBox], at: float | None = None, window: int = 0) -> TextLine:
    """One row as a line; its confidence is the boxes' confidences weighted by their lengths."""
    text = " ".join(b.text.strip() for b in row if b.text.strip())
    weights = [max(1, len(b.text)) for b in row]
    confidence = sum(b.confidence * w for b, w in zip(row, weights, strict=True)) / sum(weights)
    return TextLine(text, confidence, origin="screen", at=at, window=window)


def reading_order(boxes: Sequence[TextBox], at: float | None = None) -> tuple[TextLine, ...]:
    """All boxes as lines in reading order, ignoring blocks (rows top to bottom)."""
    return tuple(join_row(row, at) for row in rows(boxes))
