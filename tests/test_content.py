"""bot.extract.content: the regions of a large screen that show something, and those that show text no box read, on
rendered desktops."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from bot.extract.content import Marks, area, content_regions, merged
from tests.support import FONT

WALLPAPER = (84, 52, 84)


def window(draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], lines: list[str], size: int) -> None:
    """A window with a one-pixel frame, a title bar and `lines` of text at its top; the rest of it empty."""
    left, top, right, bottom = box
    draw.rectangle(box, fill=(20, 20, 20), outline=(200, 200, 200))
    draw.rectangle((left, top, right, top + 2 * size), fill=(225, 225, 230))
    font = ImageFont.truetype(FONT, size)
    for i, line in enumerate(lines):
        draw.text((left + 12, top + 3 * size + int(1.6 * size) * i), line, font=font, fill=(220, 80, 80))


def inside(point: tuple[int, int], region: tuple[int, int, int, int]) -> bool:
    return region[0] <= point[0] < region[2] and region[1] <= point[1] < region[3]


def test_a_desktop_s_text_is_found_and_its_wallpaper_and_empty_window_bodies_left_out() -> None:
    desk = Image.new("RGB", (3840, 2160), WALLPAPER)
    draw = ImageDraw.Draw(desk)
    window(draw, (60, 1500, 1100, 2000), ["curl: (56) Recv failure: Connection reset by peer"], 13)
    window(draw, (1300, 60, 2500, 1200), [f"10:41:0{i} INFO GET /api/orders 200" for i in range(8)], 12)
    regions = content_regions(Marks.of(desk))
    texts = [(80, 1500 + 3 * 13 + 6), (1320, 60 + 3 * 12 + 6), (1320, 60 + 3 * 12 + int(1.6 * 12) * 7 + 6)]
    assert all(any(inside(point, region) for region in regions) for point in texts)
    assert not any(inside((2400, 1100), region) for region in regions)  # an empty window body
    assert not any(inside((3000, 1800), region) for region in regions)  # the wallpaper
    assert sum(area(region) for region in regions) < 0.1 * 3840 * 2160


def test_regions_never_overlap_and_come_in_reading_order() -> None:
    desk = Image.new("RGB", (2560, 1440), WALLPAPER)
    draw = ImageDraw.Draw(desk)
    for left, top in ((100, 100), (1500, 120), (200, 900), (1600, 1000)):
        window(draw, (left, top, left + 700, top + 300), ["Traceback (most recent call last):"], 14)
    regions = content_regions(Marks.of(desk))
    assert len(regions) >= 4
    assert all(
        not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3])
        for i, a in enumerate(regions)
        for b in regions[i + 1 :]
    )
    assert regions == sorted(regions, key=lambda r: (r[1], r[0]))
    assert merged([(0, 0, 10, 10), (20, 0, 30, 10), (5, 5, 25, 8)]) == [(0, 0, 30, 10)]


def test_a_blank_or_busy_screen_is_read_whole() -> None:
    """Nothing marked (a blur too faint to mark) or marks everywhere (a photo's moiré): no region is worth cutting."""
    blank = Image.new("RGB", (3840, 2160), WALLPAPER)
    assert content_regions(Marks.of(blank)) == [(0, 0, 3840, 2160)]
    noise = np.random.default_rng(0).integers(0, 255, (1440, 2560, 3), dtype=np.uint8)
    assert content_regions(Marks.of(Image.fromarray(noise))) == [(0, 0, 2560, 1440)]


def test_marks_no_box_covers_are_found_but_a_window_s_frame_and_what_was_read_are_not() -> None:
    desk = Image.new("RGB", (2560, 1440), WALLPAPER)
    draw = ImageDraw.Draw(desk)
    window(draw, (100, 100, 1100, 700), ["Traceback (most recent call last):"] * 6, 14)  # read: its lines' boxes
    window(draw, (1400, 200, 1800, 420), ["npm error code EJSONPARSE"] * 5, 6)  # tiny text, not read
    draw.rectangle((300, 900, 1500, 1300), outline=(200, 200, 200), width=2)  # an empty window's frame
    marks = Marks.of(desk)
    read = [(100, 100, 1100, 700)]
    unread = marks.unread(read, 1_000_000)
    assert len(unread) == 1 and inside((1420, 200 + 3 * 6 + 3), unread[0]) and unread[0][2] <= 1800 + 32
    assert marks.unread([*read, (1390, 190, 1810, 430)], 1_000_000) == []
    assert marks.unread(read, 1000) == []  # more than the budget holds


def test_a_small_window_s_text_is_found_though_its_frame_runs_close_round_an_empty_body() -> None:
    """A browser window zoomed out: two lines of 5 px text at the top of a tall empty page, a few pixels inside a
    6 px frame. The frame changes grey level one way only (an edge), so it is no mark of text and does not join the
    lines into a ring too sparse to be read."""
    desk = Image.new("RGB", (2560, 1440), (34, 60, 92))
    ImageDraw.Draw(desk).rectangle((1401, 201, 1801, 601), fill=(20, 20, 20), outline=(190, 190, 190), width=6)
    page = Image.new("RGB", (1000, 50), (20, 20, 20))
    font = ImageFont.truetype(FONT, 14)
    lines = [
        '{"detail":[{"type":"date_from_datetime_parsing","loc":["query","since"],',
        '"msg":"Input should be a date"}]}',
    ]
    for i, line in enumerate(lines):
        ImageDraw.Draw(page).text((0, 4 + 21 * i), line, font=font, fill=(225, 225, 225))
    desk.paste(page.resize((400, 20), Image.Resampling.LANCZOS).crop((0, 0, 380, 20)), (1411, 211))
    unread = Marks.of(desk).unread([], 1_000_000)
    assert len(unread) == 1 and inside((1412, 214), unread[0]) and unread[0][3] <= 211 + 20 + 32
