"""Where a large screen shows anything: the regions around its text, so the detector is not run over empty pixels.

A whole desktop is mostly wallpaper, empty window bodies and blank margins, and the fast detector's time grows with
the pixels it is given (two thirds of a 4K screen's reading went to it). A square of `CELL` pixels shows something
when its grey levels span at least `CONTRAST`; marks thinner than two squares (a window's edge, a rule, a one-pixel
line) are dropped, since no readable line of text is that thin; marks closer than `JOIN` form one region, read with a
margin of `MARGIN` around them. Where the regions would cover most of the screen anyway, the screen is read whole.

The same marks show where the detector found nothing: marks of strokes (at or beside a square whose grey levels change
both along a row and down a column, as text's do; a window's frame, a rule or a scroll bar's edge changes one way) that
no box read covers, packed close (`UNREAD_JOIN`), filling enough of the region around them (`UNREAD_SHARE`) and no
taller than wide, are a small window's text below the detector's floor (`Marks.unread`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

Region = tuple[int, int, int, int]  # left, top, right, bottom

CELL = 4  # the screen is marked in squares of this many pixels...
CONTRAST = 32  # ...each marked when its grey levels span at least this much (JPEG noise and gradients do not)
JOIN = 80  # marks closer than this many pixels belong to one region (a line's words, a paragraph's lines)
MARGIN = 96  # a region reaches this many pixels beyond its marks: the detector weighs the whole of what it is given,
# and in a crop tighter than this it drew a line's box a pixel or two off (the underscores of a 16-pixel "crm_test" cut
# off, a tiny JSON line taken for larger text and not read again)
MOST = 0.7  # regions covering more than this share of the screen: it is read whole
UNREAD_JOIN = 12  # unread marks closer than this many pixels belong to one region (a small window's tiny lines)...
UNREAD_LEAST = 40  # ...which holds at least this many marked squares (a line of 6 px text about 80 px long)...
UNREAD_SHARE = 0.2  # ...filling at least this share of it, as lines of text pack their marks; and no taller than
# wide, as lines of text run
UNREAD_MARGIN = 16  # an unread region reaches this many pixels beyond its marks


@dataclass(frozen=True)
class Marks:
    """The `CELL`-pixel squares of a screen that show something (1) or not (0); those of them at or beside a square
    whose grey levels change both along a row and down a column (`strokes`: text's, where an edge changes one way);
    and the screen's size."""

    squares: np.ndarray
    strokes: np.ndarray
    size: tuple[int, int]

    @classmethod
    def of(cls, image: Any) -> Marks:
        """The marks of an RGB PIL image: squares whose grey levels span at least `CONTRAST`, thinner marks dropped."""
        import cv2

        grey = np.asarray(image.convert("L"))
        squares = cv2.morphologyEx(
            (spread(grey, CELL, CELL) >= CONTRAST).astype(np.uint8), cv2.MORPH_OPEN, np.ones((2, 2), np.uint8)
        )
        both = (np.minimum(spread(grey, 1, CELL), spread(grey, CELL, 1)) >= CONTRAST).astype(np.uint8)  # row, column
        return cls(squares, np.minimum(squares, cv2.dilate(both, np.ones((3, 3), np.uint8))), image.size)

    def unread(self, read: Sequence[tuple[float, float, float, float]], budget: float) -> list[Region]:
        """The regions whose marks of strokes no region in `read` covers, packed close, filling a fifth of their region
        and no taller than wide (`UNREAD_JOIN`, `UNREAD_LEAST`, `UNREAD_SHARE`), the most marked first, as many as
        `budget` pixels hold."""
        import cv2

        width, height = self.size
        unread = self.strokes.copy()
        for left, top, right, bottom in read:
            unread[
                max(0, int(top) // CELL) : int(bottom) // CELL + 1, max(0, int(left) // CELL) : int(right) // CELL + 1
            ] = 0
        reach = 2 * (UNREAD_JOIN // (2 * CELL)) + 1
        count, labels, stats, _ = cv2.connectedComponentsWithStats(
            cv2.dilate(unread, np.ones((reach, reach), np.uint8)), connectivity=8
        )
        marked = np.bincount(labels.ravel(), weights=unread.ravel(), minlength=count)
        found = []
        for label in range(1, count):
            left, top, w, h = (int(v) for v in stats[label][:4])
            if w >= h and marked[label] >= max(UNREAD_LEAST, UNREAD_SHARE * w * h):
                region = (
                    max(0, left * CELL - UNREAD_MARGIN),
                    max(0, top * CELL - UNREAD_MARGIN),
                    min(width, (left + w) * CELL + UNREAD_MARGIN),
                    min(height, (top + h) * CELL + UNREAD_MARGIN),
                )
                found.append((marked[label], region))
        chosen = []
        for _, region in sorted(found, key=lambda f: -f[0]):
            if area(region) <= budget:
                chosen.append(region)
                budget -= area(region)
        return chosen


def spread(grey: np.ndarray, rows: int, columns: int) -> np.ndarray:
    """For each `CELL`-pixel square of `grey`, the largest span of grey levels (max - min) in a `rows` x `columns`
    window inside it: the whole square (`CELL`, `CELL`), one of its rows (1, `CELL`) or one of its columns
    (`CELL`, 1)."""
    import cv2

    window = np.ones((rows, columns), np.uint8)
    span = cv2.dilate(grey, window, anchor=(0, 0)) - cv2.erode(grey, window, anchor=(0, 0))  # anchored at its corner
    inside = np.ones((CELL - rows + 1, CELL - columns + 1), np.uint8)  # the corners of the windows inside a square
    return cv2.dilate(span, inside, anchor=(0, 0))[::CELL, ::CELL]


def content_regions(marks: Marks) -> list[Region]:
    """The regions of a screen that show something (its `marks`), not overlapping, in reading order; the whole screen
    when they would cover most of it or it shows nothing (a blur too faint to mark)."""
    import cv2

    width, height = marks.size
    reach = 2 * (JOIN // (2 * CELL)) + 1
    _, labels = cv2.connectedComponents(cv2.dilate(marks.squares, np.ones((reach, reach), np.uint8)), connectivity=8)
    rows, columns = np.nonzero(marks.squares)
    if not len(rows):
        return [(0, 0, width, height)]
    owner = labels[rows, columns]
    order = np.argsort(owner, kind="stable")
    rows, columns, owner = rows[order], columns[order], owner[order]
    starts = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
    regions = [
        (
            max(0, int(left) * CELL - MARGIN),
            max(0, int(top) * CELL - MARGIN),
            min(width, (int(right) + 1) * CELL + MARGIN),
            min(height, (int(bottom) + 1) * CELL + MARGIN),
        )
        for left, top, right, bottom in zip(
            np.minimum.reduceat(columns, starts),
            np.minimum.reduceat(rows, starts),
            np.maximum.reduceat(columns, starts),
            np.maximum.reduceat(rows, starts),
            strict=True,
        )
    ]
    regions = merged(regions)
    if sum(area(region) for region in regions) > MOST * width * height:
        return [(0, 0, width, height)]
    return sorted(regions, key=lambda region: (region[1], region[0]))


def merged(regions: list[Region]) -> list[Region]:
    """`regions` with every two that overlap replaced by the region around both, until none overlap."""
    out: list[Region] = []
    for region in regions:
        while True:
            other = next((o for o in out if overlaps(region, o)), None)
            if other is None:
                break
            out.remove(other)
            region = union(region, other)
        out.append(region)
    return out


def area(region: Region) -> int:
    return max(0, region[2] - region[0]) * max(0, region[3] - region[1])


def overlaps(a: Region, b: Region) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def union(a: Region, b: Region) -> Region:
    return min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])
