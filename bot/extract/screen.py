"""Read a screen: a screenshot, a whole desktop, a phone photo of a monitor or one frame of a recording.

The fast engine reads the whole screen first (a large screenshot only where it shows something, `content`, each part in
full-width bands, which bound the detector's memory and cut no line; a capture of two monitors also in columns);
`layout` groups its boxes into blocks and keeps those that show the failure, numbering their windows when failures show
side by side (the engine also searches each alone). Where that text is small or read with low confidence (a forwarded
JPEG, a desktop's small window, a photo), the kept region is read again by the engine's more accurate models, enlarged
only when its text is below the height the detector finds (measured: enlarging further costs 2-3x the time and reads no
more words); that reading replaces the first unless it reads less than half as much (its detector missed lines). On a
large screen, of a long region (a traceback, a debug page) that second look reads the failure's lines and those nearest
them, up to a length; the rest keeps its first reading. A screen of which the fast engine read almost nothing surely is
read again whole, sharpened first (a blurred photo, a soft thumbnail). A small screen whose tiny text stays unsure after
all that (a forwarded thumbnail) is also read whole by the accurate models at its own size, and what that reading adds
is kept. The accurate models read a dark screen's regions inverted, dark text on light, which their detector finds far
better when the text is blurred. A log on the screen (a terminal's scrollback, a server's output above the failure)
loses its routine records, as a pasted log does. A screen whose text stands on end (a photo whose orientation tag was
lost on the way) is turned a quarter, the way the fast engine reads more surely, before anything else. A large screen is
also detected, enlarged, where it shows text that no box covers: a window shown small among normal ones (`read_unread`).
A strip cut tight round a line or two (a snipping tool's rectangle) is read inside a frame of its edge's colour, without
a line its top or bottom edge cuts through (`strip`). A dim picture (a screen photographed in a dim room) is also read
with its grey levels stretched, a dark one inverted as well, and the copy is kept when the fast engine reads more text
of it, and enough to count as read (a dark terminal's red error line, dimmed, is found only so); else the picture as it
is (a dark screen blurred past reading either way then goes the way of a barely read one). Rows a line was wrapped onto
(a phone's page wraps between words, a terminal at its last column) are read as that line (`wrapping`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from difflib import SequenceMatcher
from typing import Any

import numpy as np

from bot.deadline import check
from bot.extract.content import Marks, Region, area, content_regions, overlaps, union
from bot.extract.layout import Block, backgrounds, focus, group, join_row, rows, windows
from bot.extract.logs import without_routine_records
from bot.extract.ocr import DETECT_MAX_SIDE, TextBox, TextReader
from bot.extract.photo import brightened, straighten
from bot.extract.strip import framed, is_strip, without_cut_lines
from bot.extract.wrapping import written_lines
from bot.ranking.text import shows_failure
from bot.records import TextLine

SMALL_TEXT = 16.0  # text boxes lower than this many pixels are read again by the accurate models...
TARGET_TEXT = 16.0  # ...enlarged when lower than this (the detector's floor; the recogniser gains nothing more)
MAX_ENLARGE = 2.0
UNSURE = 0.9  # a block read with a lower mean confidence is read again...
SURE = 0.95  # ...and one of small text, unless it was read at least this surely and is at least...
SURE_TEXT = 12.0  # ...this high (a sharp desktop's 13 px text; below, a sure fast reading is often wrong)
FINE_PIXELS = 1_500_000  # the region read again is scaled to at most this many pixels
MARGIN = 0.6  # the region read again reaches this many text heights beyond its boxes
TILE_SIDE = DETECT_MAX_SIDE  # a screen the detector would shrink below MIN_DETECT_SCALE (two monitors side by
MIN_DETECT_SCALE = 0.75  # side) is read in columns of this width; a 4K screen is detected at 0.87
DETECT_PIXELS = 2_200_000  # the fast detector is given at most this many pixels at a time (its working memory
# grows with them: a 4K screen in one pass held 0.8 GB), so a larger screen is read in bands as wide as the screen or
# column, which cut no line of text; a 1080p screen is still one pass
FINE_DETECT_PIXELS = 800_000  # the same for the accurate detector, which takes twice the memory per pixel
OVERLAP = 128  # tiles overlap by this many pixels, more than a line of text
LITTLE_TEXT = 24  # when the fast engine reads fewer characters than this (each counted by its confidence: a blurred
# photo's scattered guesses count little), not all large and sure, the whole...
TINY_TEXT = 12.0  # ...screen is read again, taking its text to be this high when it found none, on a copy...
UNSHARP = (3, 200, 2)  # ...with its edges sharpened (unsharp mask: radius, percent, threshold): text blurred by a
# photo's focus or a downscale is found where the plain copy shows the detectors nothing
TURNED_SHARE = 0.6  # a screen is tried turned when at least this share of the characters read stand in boxes...
ON_END = 1.5  # ...taller than this many times their width (a line on end); a box this much wider lies flat
DARK = 128  # a region whose median grey is below this is a dark screen: the accurate detector, which finds blurred
# light-on-dark text poorly (a dark terminal photographed: 0-6 characters of 240), reads its inverted copy
KEPT_SHARE = 0.5  # a second look that reads less than this share of the first missed lines: the first is kept
SECOND_LOOK_LENGTH = 150.0  # a second look reads at most about this much line, in text heights (a terminal's full
# line is about 45), when the failure's lines were found: those always, then the lines nearest them, and only the part
# of the screen they fill; the rest of a long traceback (its middle frames, a debug page's settings) or of a terminal
# full of a log keeps its first reading, as re-reading it all cost the accurate models seconds (a 1280x720 terminal of
# 14 px text, 7 s). A capture whose failing line was not found (a forwarded JPEG, all of it unsure) is read whole again.
PAINT_MARGIN = 0.15  # a line left as read is painted over this many of its heights beyond its box (descenders)
SHORTEST_CROP = 2.0  # the recogniser pads a shorter crop to this many text heights, so reads it at this cost
OWN_SIZE_TEXT = 10.5  # a screen of at most `FINE_PIXELS` showing text lower than this that is still unsure after the
# second look (a forwarded thumbnail's 5-8 px glyphs, JPEG-blocked) is also read whole by the accurate models at its
# own size, and the lines of that reading unlike any read already are kept beside them: at this size the two scales
# misread different letters, and the ranking's words find the bug in either (wild thumbnails 0.744 -> 0.756)
SAME_LINE = 0.8  # a line whose characters are at least this alike to one already read repeats it
UNREAD_SCALE = 2.0  # a screen larger than `FINE_PIXELS` (a desktop) is also detected, enlarged this much, where it
# shows text no box covers (`Marks.unread`), as much as `DETECT_PIXELS` holds: a window shown small among normal ones,
# whose 4-7 px text the fast detector does not find at its own size (`make_wild`'s desktops with the window at
# 55-75 %: 0.951 -> 0.970)
READ_PAD = 0.5  # a box covers its text and this many of its heights around it


class ScreenReader:
    """Reads screens with a fast engine and, where needed, an accurate one (both passed in, loaded once)."""

    def __init__(self, fast: TextReader, fine: TextReader) -> None:
        self.fast = fast
        self.fine = fine

    def read(self, image: Any, at: float | None = None) -> tuple[TextLine, ...]:
        """The lines that show what went wrong on `image`, in reading order; `at` is stamped on each."""
        if is_strip(image.size):
            image = framed(without_cut_lines(image))
        bright = brightened(image)
        image, boxes = self.first_reading(image)
        if bright is not None and amount(boxes) < amount((brighter := self.first_reading(bright))[1]) >= LITTLE_TEXT:
            image, boxes = brighter
        if on_end(boxes):
            image, boxes = self.turn_upright(image, boxes)
        pixels = np.asarray(image)
        if amount(boxes) < LITTLE_TEXT and not read_clearly(boxes):  # barely read: tiny or blurred
            from PIL import ImageFilter

            whole, height = (0, 0, *image.size), min((b.height for b in boxes), default=TINY_TEXT)
            sharpened = self.read_again(image.filter(ImageFilter.UnsharpMask(*UNSHARP)), whole, height)
            boxes = sharpened if amount(sharpened) >= amount(boxes) else boxes
        blocks = focus(group(boxes, pixels))
        for region, height in regions_to_reread(blocks, image.size):
            first = [b for b in blocks if inside(b, region)]
            as_read = beyond_second_look(first)
            again = group(self.read_again(image, around(first, as_read, region), height, as_read) + as_read, pixels)
            if read_amount(again) >= KEPT_SHARE * read_amount(first):
                blocks = focus([b for b in blocks if not inside(b, region)] + again)
        blocks.sort(key=position)
        lines = [
            line
            for block, n in zip(blocks, windows(blocks), strict=True)
            for line in written_lines(block, pixels, at, n)
        ]
        if image.width * image.height <= FINE_PIXELS and any(
            b.height < OWN_SIZE_TEXT for b in blocks if needs_second_look(b)
        ):
            lines += self.also_at_own_size(image, pixels, lines, at)
        return without_routine_records(tuple(line for line in lines if line.text))

    def first_reading(self, image: Any) -> tuple[Any, list[TextBox]]:
        """The screen `image` shows (straightened when it is a photo of one) and the fast engine's boxes: a photo's
        or a small screenshot's read whole, a large screenshot's where it shows something and, enlarged, where it
        shows text that reading missed (`read_unread`)."""
        flat = straighten(image)
        if flat is not image or flat.width * flat.height <= FINE_PIXELS:
            return flat, read_tiles(self.fast, flat, DETECT_PIXELS)
        marks = Marks.of(flat)
        boxes = read_where_shown(self.fast, flat, marks)
        return flat, boxes + self.read_unread(flat, marks, boxes)

    def read_unread(self, image: Any, marks: Marks, boxes: list[TextBox]) -> list[TextBox]:
        """The boxes the fast engine finds, enlarged `UNREAD_SCALE` times, where a large screen shows text no box in
        `boxes` covers (`Marks.unread`: a window shown small, its text below the detector's floor), in the screen's
        own pixels; not those whose middle lies in a box already read."""
        from PIL import Image

        read = [
            (b.left - pad, b.top - pad, b.right + pad, b.bottom + pad) for b in boxes for pad in [READ_PAD * b.height]
        ]
        found: list[TextBox] = []
        for left, top, right, bottom in marks.unread(read, DETECT_PIXELS / UNREAD_SCALE**2):
            crop = image.crop((left, top, right, bottom))
            crop = crop.resize(
                (round(crop.width * UNREAD_SCALE), round(crop.height * UNREAD_SCALE)), Image.Resampling.BICUBIC
            )
            for box in (from_enlarged(b, UNREAD_SCALE, left, top) for b in read_tiles(self.fast, crop, DETECT_PIXELS)):
                x, y = (box.left + box.right) / 2, (box.top + box.bottom) / 2
                if not any(o.left <= x <= o.right and o.top <= y <= o.bottom for o in boxes):
                    found.append(box)
        return found

    def also_at_own_size(
        self, image: Any, pixels: np.ndarray, lines: Sequence[TextLine], at: float | None
    ) -> list[TextLine]:
        """The lines the accurate engine reads on the whole of `image` (whose `pixels` are given) at its own size that
        nearly repeat none of `lines` (nor one another)."""
        blocks = sorted(group(read_tiles(self.fine, image, FINE_DETECT_PIXELS), pixels), key=position)
        kept: list[TextLine] = []
        for line in (line for block in blocks for line in written_lines(block, pixels, at)):
            if all(SequenceMatcher(None, line.text, seen.text).ratio() < SAME_LINE for seen in [*lines, *kept]):
                kept.append(line)
        return kept

    def turn_upright(self, image: Any, boxes: list[TextBox]) -> tuple[Any, list[TextBox]]:
        """`image` as it is or turned a quarter either way, whichever the fast engine reads the most text of lying
        flat, with its boxes (`boxes` are those of `image` as it is). A turn whose flat text is read surely is taken
        without trying the other: text upside down is never read surely."""
        from PIL import Image

        readings = [(image, boxes)]
        for turn in (Image.Transpose.ROTATE_90, Image.Transpose.ROTATE_270):
            turned = image.transpose(turn)
            read = read_tiles(self.fast, turned, DETECT_PIXELS)
            readings.append((turned, read))
            flat_characters = sum(len(b.text) for b in read if lies_flat(b))
            if flat_characters and flat_amount(read) >= UNSURE * flat_characters:
                break
        return max(readings, key=lambda reading: flat_amount(reading[1]))

    def read_again(self, image: Any, region: Region, text_height: float, kept: Sequence[TextBox] = ()) -> list[TextBox]:
        """The boxes of `region` read by the accurate engine, enlarged so its text is about `TARGET_TEXT` high and,
        on a dark screen, with its colours inverted; in the image's own pixels. The `kept` boxes (already read) are
        painted over with their background first, so it neither finds nor reads them."""
        from PIL import Image, ImageOps  # only where a screen is read: an unchanged refresh never loads Pillow

        left, top, right, bottom = region
        crop = painted_over(image.crop(region), [shifted(b, -left, -top) for b in kept])
        if np.median(np.asarray(crop.convert("L"))) < DARK:
            crop = ImageOps.invert(crop)  # light text on a dark screen, read as dark on light (see `DARK`)
        scale = min(MAX_ENLARGE, max(1.0, TARGET_TEXT / max(1.0, text_height)))
        scale = min(scale, (FINE_PIXELS / max(1, crop.width * crop.height)) ** 0.5)
        if abs(scale - 1.0) > 0.05:
            crop = crop.resize((round(crop.width * scale), round(crop.height * scale)), Image.Resampling.BICUBIC)
        return [from_enlarged(b, scale, left, top) for b in read_tiles(self.fine, crop, FINE_DETECT_PIXELS)]


def position(block: Block) -> tuple[float, float]:
    """Where a block starts, for reading order: top, then left."""
    return block.top, block.left


def beyond_second_look(blocks: Sequence[Block]) -> list[TextBox]:
    """The boxes a second look of `blocks` leaves as first read: when their lines are longer in all than
    `SECOND_LOOK_LENGTH` and some show the failure, the lines farthest from those (within a block, in lines) past
    that length; none otherwise. The failure's own lines are always read again."""
    by_block = [rows(block.boxes) for block in blocks]
    if sum(length(row) for block_rows in by_block for row in block_rows) <= SECOND_LOOK_LENGTH:
        return []
    lines = []  # (distance to the nearest failing line of its block, position in the block, row)
    for block_rows in by_block:
        failing = [i for i, row in enumerate(block_rows) if shows_failure(join_row(row).text)]
        far = len(block_rows)
        lines += [(min((abs(i - f) for f in failing), default=far), i, row) for i, row in enumerate(block_rows)]
    if not any(distance == 0 for distance, _, _ in lines):
        return []
    left, spent = [], 0.0
    for distance, _, row in sorted(lines, key=lambda line: line[:2]):
        if distance == 0 or spent + length(row) <= SECOND_LOOK_LENGTH:
            spent += length(row)
        else:
            left += row
    return left


def around(blocks: Sequence[Block], kept: Sequence[TextBox], region: Region) -> Region:
    """The part of `region` a second look of `blocks` reads: around their boxes not `kept` as first read (a margin of
    their text height), or all of it when none is kept."""
    if not kept:
        return region
    left_as_read = {id(box) for box in kept}
    again = [box for block in blocks for box in block.boxes if id(box) not in left_as_read]
    pad = MARGIN * float(np.median([box.height for box in again]))
    return (
        max(region[0], int(min(box.left for box in again) - pad)),
        max(region[1], int(min(box.top for box in again) - pad)),
        min(region[2], int(max(box.right for box in again) + pad)),
        min(region[3], int(max(box.bottom for box in again) + pad)),
    )


def length(row: Sequence[TextBox]) -> float:
    """How long a row is for the recogniser, in text heights."""
    return sum(max(SHORTEST_CROP, b.width / max(1.0, b.height)) for b in row)


def painted_over(image: Any, boxes: Sequence[TextBox]) -> Any:
    """A copy of `image` with each box filled with its own background colour (a margin of its height around it)."""
    if not boxes:
        return image
    from PIL import ImageDraw

    colours = backgrounds(boxes, np.asarray(image))
    image = image.copy()
    draw = ImageDraw.Draw(image)
    for box, colour in zip(boxes, colours, strict=True):
        pad = PAINT_MARGIN * box.height
        draw.rectangle(
            (box.left - pad, box.top - pad, box.right + pad, box.bottom + pad), fill=tuple(int(c) for c in colour)
        )
    return image


def from_enlarged(box: TextBox, scale: float, left: float, top: float) -> TextBox:
    """A box read on a crop enlarged `scale` times whose corner is (`left`, `top`), in the image's own pixels."""
    return TextBox(
        box.text,
        box.confidence,
        left + box.left / scale,
        top + box.top / scale,
        left + box.right / scale,
        top + box.bottom / scale,
    )


def shifted(box: TextBox, dx: float, dy: float) -> TextBox:
    return TextBox(box.text, box.confidence, box.left + dx, box.top + dy, box.right + dx, box.bottom + dy)


def regions_to_reread(blocks: list[Block], size: tuple[int, int]) -> list[tuple[Region, float]]:
    """The regions worth a second look, each with its text height: those of the failing blocks whose text is
    small or unsure (of any such block when none shows an error yet), overlapping ones merged, largest text
    first, within `FINE_PIXELS` in all once enlarged."""
    unsure = [b for b in blocks if needs_second_look(b)]
    unsure = [b for b in unsure if b.shows_error()] or unsure
    regions: list[tuple[Region, float]] = []
    for block in sorted(unsure, key=lambda b: -len(b.boxes)):
        region, height = bounds([block], size), block.height
        for i, (other, other_height) in enumerate(regions):
            if overlaps(region, other):
                region, height = union(region, other), min(height, other_height)
                regions.pop(i)
                break
        regions.append((region, height))
    budget, chosen = float(FINE_PIXELS), list[tuple[Region, float]]()
    for region, height in regions:
        cost = area(region) * min(MAX_ENLARGE, max(1.0, TARGET_TEXT / height)) ** 2
        if cost <= budget or not chosen:
            chosen.append((region, height))
            budget -= cost
    return chosen


def read_where_shown(reader: TextReader, image: Any, marks: Marks) -> list[TextBox]:
    """The boxes `reader` finds in a screenshot whose `marks` are given: in each region that shows something
    (`content_regions`) when the detector would see more than `DETECT_PIXELS` of it at once (a desktop's wallpaper and
    empty windows are not searched), the whole image otherwise; each read by `read_tiles`. Not for photos, whose
    blurred text can span too few grey levels to be marked."""
    if image.width * image.height <= DETECT_PIXELS:
        return read_tiles(reader, image, DETECT_PIXELS)
    boxes = []
    for region in content_regions(marks):
        crop = image if region == (0, 0, *image.size) else image.crop(region)
        boxes += [shifted(b, region[0], region[1]) for b in read_tiles(reader, crop, DETECT_PIXELS)]
    return boxes


def read_tiles(reader: TextReader, image: Any, pixels: int) -> list[TextBox]:
    """The boxes `reader` finds in an image, read whole or, when the detector would see more than `pixels`, tile by
    tile (`tiles`; a box belongs to the tile that holds its centre away from the overlap)."""
    width, height = image.size
    spans = tiles(width, height, pixels)
    if len(spans) == 1:
        check()
        return reader.read(image)
    boxes = []
    half = OVERLAP // 2
    for left, top, right, bottom in spans:
        check()
        core = (left + half if left else 0, top + half if top else 0)
        core_end = (right - half if right < width else width, bottom - half if bottom < height else height)
        for b in reader.read(image.crop((left, top, right, bottom))):
            box = shifted(b, left, top)
            x, y = (box.left + box.right) / 2, (box.top + box.bottom) / 2
            if core[0] <= x < core_end[0] and core[1] <= y < core_end[1]:
                boxes.append(box)
    return boxes


def tiles(width: int, height: int, pixels: int) -> list[Region]:
    """Overlapping tiles (left, top, right, bottom) covering a screen: columns of at most `TILE_SIDE` when it is far
    wider than the detector's side (two monitors), each cut into bands as wide as the column, as many as keep what
    the detector sees of each (it shrinks a column wider than its side) within `pixels`."""
    columns = tile_spans(width, TILE_SIDE) if width * MIN_DETECT_SCALE > TILE_SIDE else [(0, width)]
    out = []
    for left, right in columns:
        scale = min(1.0, DETECT_MAX_SIDE / (right - left))
        rows = min(TILE_SIDE, max(2 * OVERLAP, int(pixels / ((right - left) * scale * scale))))
        out += [(left, top, right, bottom) for top, bottom in tile_spans(height, rows)]
    return out


def tile_spans(size: int, side: int) -> list[tuple[int, int]]:
    """Equal spans of at most `side` pixels covering `size`, each overlapping the next by `OVERLAP`."""
    count = max(1, -(-(size - OVERLAP) // (side - OVERLAP)))
    length = -(-(size + (count - 1) * OVERLAP) // count)
    return [(i * (length - OVERLAP), min(size, i * (length - OVERLAP) + length)) for i in range(count)]


def on_end(boxes: list[TextBox]) -> bool:
    """Whether most of the characters read stand in lines on end rather than lying flat (boxes near square — a
    word, or a blob the detector found in a paragraph on end — count for neither)."""
    standing = sum(len(b.text) for b in boxes if b.height > ON_END * b.width)
    flat = sum(len(b.text) for b in boxes if lies_flat(b))
    return standing > 0 and standing >= TURNED_SHARE * (standing + flat)


def lies_flat(box: TextBox) -> bool:
    return box.width > ON_END * box.height


def flat_amount(boxes: list[TextBox]) -> float:
    """The characters read in boxes lying flat (`amount`)."""
    return amount(b for b in boxes if lies_flat(b))


def needs_second_look(block: Block) -> bool:
    """Small text not read surely (or very small), or text the fast engine was unsure of, in a block with more than a
    word or two."""
    if sum(len(b.text) for b in block.boxes) < 8:
        return False
    confidence = sum(b.confidence * len(b.text) for b in block.boxes) / sum(len(b.text) for b in block.boxes)
    return small_or_unsure(block.height, confidence) and not (confidence >= SURE and block.height >= SURE_TEXT)


def small_or_unsure(height: float, confidence: float) -> bool:
    """Text the accurate models may read better than the fast ones."""
    return height < SMALL_TEXT or confidence < UNSURE


def read_clearly(boxes: list[TextBox]) -> bool:
    """Some text was found and all of it is large and sure: a screen that shows little (a prompt, a short page),
    not one whose tiny text the fast engine barely found. Reading it all again finds nothing more."""
    return bool(boxes) and not any(small_or_unsure(b.height, b.confidence) for b in boxes)


def bounds(blocks: list[Block], size: tuple[int, int]) -> Region:
    """The region around `blocks`, with a margin of their text height, within the image."""
    pad = MARGIN * max(b.height for b in blocks)
    return (
        int(max(0, min(b.left for b in blocks) - pad)),
        int(max(0, min(b.top for b in blocks) - pad)),
        int(min(size[0], max(b.right for b in blocks) + pad)),
        int(min(size[1], max(b.bottom for b in blocks) + pad)),
    )


def amount(boxes: Iterable[TextBox]) -> float:
    """The characters read, each counted by the engine's confidence."""
    return sum(box.confidence * len(box.text) for box in boxes)


def read_amount(blocks: Iterable[Block]) -> float:
    """The characters read in `blocks` (`amount`). The accurate models read better where they find the text, but at
    another scale their detector can miss most lines of a blurred capture."""
    return amount(box for block in blocks for box in block.boxes)


def inside(block: Block, region: Region) -> bool:
    left, top, right, bottom = region
    return block.left >= left and block.top >= top and block.right <= right and block.bottom <= bottom
