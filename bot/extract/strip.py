"""A strip: a capture cut tight around a line or two of text (a snipping tool's rectangle round the error line).

The detectors scale each side of what they are given to a multiple of `DETECT_CELL` pixels, which squashes or stretches
a strip by up to a third, and find text that touches an edge only with room around it: a 559×21 strip of git's refusal
read as "error:" alone. So a strip is read inside a frame of its edge's colour (`framed`). The frame would also let the
detectors find what is left of a line the strip's top or bottom edge cut through, whose glyphs the recogniser reads as
noise, so such a line is cut off first (`without_cut_lines`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from bot.extract.ocr import DETECT_MAX_SIDE

STRIP = 128  # an image lower or narrower than this (and no longer than the detector's side) is a strip...
FRAME = 16  # ...read inside a frame this wide, widened right and below to whole cells of...
DETECT_CELL = 32  # ...this many pixels, the multiple the detectors scale each side to
INK_CONTRAST = 48  # a pixel whose grey is this far from the strip's median is ink...
BLANK = 0.002  # ...and a row with at most this share of ink is blank: the gap between two lines
SLIVER = 0.75  # a band of inked rows at the top or bottom edge lower than this share of the tallest band is a line
# the edge cut through


def is_strip(size: tuple[int, int]) -> bool:
    return min(size) < STRIP and max(size) <= DETECT_MAX_SIDE


def framed(image: Any) -> Any:
    """An RGB `image` inside a frame of the colour of its edge (the median of its outermost pixels), `FRAME`
    pixels wide and widened right and below to whole `DETECT_CELL`s."""
    from PIL import Image

    pixels = np.asarray(image)
    edge = np.concatenate([pixels[0], pixels[-1], pixels[:, 0], pixels[:, -1]])
    width, height = (math.ceil((side + 2 * FRAME) / DETECT_CELL) * DETECT_CELL for side in image.size)
    frame = Image.new("RGB", (width, height), tuple(int(c) for c in np.median(edge, axis=0)))
    frame.paste(image, (FRAME, FRAME))
    return frame


def without_cut_lines(image: Any) -> Any:
    """`image` (RGB) without a line its top or bottom edge cuts through: a band of rows holding ink (`bands`) that
    begins at the edge and is lower than `SLIVER` of the tallest band, with the blank rows that part it from the
    next line."""
    grey = np.asarray(image.convert("L"), dtype=np.int16)
    found = bands((np.abs(grey - np.median(grey)) > INK_CONTRAST).mean(axis=1) > BLANK)
    if len(found) < 2:
        return image
    tallest = max(end - start for start, end in found)
    top, bottom = 0, image.height
    if found[0][0] == 0 and found[0][1] < SLIVER * tallest:
        top = found[1][0]
    if found[-1][1] == image.height and found[-1][1] - found[-1][0] < SLIVER * tallest:
        bottom = found[-2][1]
    return image if (top, bottom) == (0, image.height) else image.crop((0, top, image.width, bottom))


def bands(inked: np.ndarray) -> list[tuple[int, int]]:
    """The runs of `True` in `inked` (one flag a row) as (first row, row after the last)."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], inked.astype(np.int8), [0]])))
    return [(int(start), int(end)) for start, end in zip(edges[::2], edges[1::2], strict=True)]
