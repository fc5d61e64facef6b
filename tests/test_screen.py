"""bot.extract.screen, layout and photo with the real OCR engines: whole desktops (2560x1440, 4K, two monitors),
small and compressed captures, phone photos of a monitor, and which blocks of a screen are kept."""

from __future__ import annotations

import io
import itertools
from dataclasses import replace

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter, ImageFont, ImageOps

from bot.extract import Extractor, TextBox, TextReader
from bot.extract.layout import focus, group
from bot.extract.photo import MAX_SIDE, brightened, rectify, straighten
from tests.support import FONT, plane

ERROR = [
    "kim@dev-box:~/etl$ psql -h localhost -U app -d crm_test",
    'psql: error: connection to server at "localhost" (::1), port 5432 failed:',
    'FATAL:  database "crm_test" does not exist',
]
CODE = ["def reconcile(orders, ledger):", "    seen = {}", "    for row in ledger.rows():", "        key = row.account"]
CHAT = ["# general", "# deploys", "Alice: standup in 5", "Bob: merged the fix", "Chen: who owns cron?"]


def terminal(
    lines: list[str], size: int = 22, width: int = 1100, ink: tuple[int, int, int] = (30, 30, 30)
) -> Image.Image:
    image = Image.new("RGB", (width, 60 + int(size * 1.6) * len(lines)), (250, 250, 250))
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(lines):
        draw.text((16, 20 + int(size * 1.6) * i), line, font=ImageFont.truetype(FONT, size), fill=ink)
    return image


def desktop(size: tuple[int, int], zoom: float, code: list[str] = CODE, failing: list[str] = ERROR) -> Image.Image:
    """A desktop: an editor full of `code` on the left, the `failing` terminal in the middle, a chat list right."""
    width, height = size
    desk = Image.new("RGB", size, (40, 70, 110))
    draw = ImageDraw.Draw(desk)
    mono = ImageFont.truetype(FONT, int(16 * zoom))
    draw.rectangle((20, 20, width // 3, height - 60), fill=(30, 30, 30))
    for i, line in enumerate(code * 8):
        draw.text((40, 40 + int(26 * zoom) * i), line, font=mono, fill=(220, 220, 170))
    draw.rectangle((width - width // 6, 20, width - 20, height - 60), fill=(70, 20, 70))
    for i, line in enumerate(CHAT):
        draw.text((width - width // 6 + 16, 40 + int(34 * zoom) * i), line, font=mono, fill=(240, 230, 240))
    window = terminal(failing, int(16 * zoom), int(900 * zoom))
    desk.paste(window, (width // 3 + 60, height // 2))
    return desk


class Recording:
    """A real reader that notes the size of every image it is given."""

    def __init__(self, reader: TextReader, sizes: list[tuple[int, int]]) -> None:
        self.reader, self.sizes = reader, sizes

    def read(self, image: Image.Image) -> list[TextBox]:
        self.sizes.append(image.size)
        return self.reader.read(image)


def small_window(lines: list[str], size: int, shrink: float) -> Image.Image:
    """A dark terminal of `lines` at `size` px, then shown at `shrink` of its size (a window zoomed out)."""
    font = ImageFont.truetype(FONT, size)
    image = Image.new("RGB", (size * 42, int(size * 1.5) * (len(lines) + 8)), (17, 17, 17))
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(lines):
        draw.text((6, 8 + int(size * 1.5) * i), line, font=font, fill=(220, 220, 220))
    return image.resize((int(image.width * shrink), int(image.height * shrink)), Image.Resampling.LANCZOS)


@pytest.fixture(scope="module")
def extractor(shared_models: dict) -> Extractor:
    return shared_models["extractor"]


def text_of(extractor: Extractor, image: Image.Image) -> str:
    return "\n".join(line.text for line in extractor.ocr(image))


@pytest.mark.parametrize(
    ("size", "zoom"), [((2560, 1440), 1.0), ((3840, 2160), 1.0), ((2880, 1800), 2.0), ((5120, 1440), 1.0)]
)
def test_a_whole_desktop_reads_the_failing_window_without_the_editor_or_chat(
    extractor: Extractor, size: tuple[int, int], zoom: float
) -> None:
    text = text_of(extractor, desktop(size, zoom))
    assert "does not exist" in text and "crm_test" in text and "5432" in text
    assert "reconcile" not in text and "ledger" not in text and "standup" not in text


def test_a_failing_window_whose_error_line_is_cut_off_is_read_without_the_editor(extractor: Extractor) -> None:
    """A small terminal scrolled past git's `error:` line: no line states a failure, so no window is picked out, but
    the editor's code still tells nothing of it."""
    tail = ["Please commit your changes or stash them before you merge.", "Aborting", "Updating 53604f0..a52ebb6"]
    text = text_of(extractor, desktop((2560, 1440), 1.0, failing=tail))
    assert "stash them before you merge" in text and "Aborting" in text
    assert "reconcile" not in text and "ledger" not in text


def test_a_terminal_whose_error_line_is_cut_off_is_read_without_the_chat_beside_it(extractor: Extractor) -> None:
    """No line states a failure, but the terminal's prompt shows where the command ran: the chat beside it goes."""
    tail = ["Please commit your changes or stash them before you merge.", "Aborting", "kim@dev-box:~/etl$"]
    text = text_of(extractor, desktop((2560, 1440), 1.0, failing=tail))
    assert "stash them before you merge" in text and "Aborting" in text
    assert "standup" not in text and "reconcile" not in text


def test_an_editor_whose_code_names_errors_does_not_pass_for_the_failing_window(extractor: Extractor) -> None:
    """Every third line of this code has an error word; counted as error lines, the editor was denser in them than
    the terminal and the terminal was dropped as the window beside it."""
    handling = [
        "try:",
        "    rows = fetch(orders)",
        "except Exception as exc:",
        '    log.error("export failed: %s", exc)',
        '    raise ValueError("no rows found")',
    ]
    text = text_of(extractor, desktop((2560, 1440), 1.0, handling))
    assert "does not exist" in text and "crm_test" in text
    assert "export failed" not in text and "standup" not in text


def test_a_log_beside_the_failing_window_that_shows_other_errors_is_read_as_a_window_of_its_own(
    extractor: Extractor,
) -> None:
    """A log tail with other failures' records is denser in error lines than the terminal beside it: the terminal
    was dropped as the window beside the failure. Both are kept, each numbered as its own window."""
    log = [
        "10:41:02 INFO  GET /api/orders 200 12ms",
        "10:41:03 ERROR job nightly-report failed: timeout after 30s",
        "10:41:07 ERROR smtp: 421 Try again later, closing connection",
    ]
    read: dict[int, list[str]] = {}
    for line in extractor.ocr(desktop((2560, 1440), 1.0, log)):
        read.setdefault(line.window, []).append(line.text)
    assert sorted(read) == [1, 2]  # the log on the left, the terminal in the middle; the chat list is dropped
    assert "nightly-report" in " ".join(read[1]) and "does not exist" not in " ".join(read[1])
    assert "does not exist" in " ".join(read[2]) and "crm_test" in " ".join(read[2])
    assert "standup" not in " ".join(read[1] + read[2])


def test_a_large_screen_is_detected_in_full_width_bands_and_two_monitors_in_columns(extractor: Extractor) -> None:
    """Shrunk whole to the detector's side, a 5120-pixel-wide capture's text would be two thirds its height; a 4K
    screen given to the detector whole held 0.8 GB of working memory. Only the regions that show something are
    given to it at all."""
    from bot.extract.ocr import DETECT_MAX_SIDE
    from bot.extract.screen import DETECT_PIXELS, FINE_DETECT_PIXELS, TILE_SIDE, ScreenReader, read_tiles

    screen = extractor.screen_reader()
    seen: list[tuple[int, int]] = []
    seen_fine: list[tuple[int, int]] = []
    reader = ScreenReader(Recording(screen.fast, seen), Recording(screen.fine, seen_fine))
    lines = reader.read(desktop((5120, 1440), 1.0))
    assert len(seen) > 1 and all(max(size) <= TILE_SIDE for size in seen)
    assert "does not exist" in "\n".join(line.text for line in lines)
    seen.clear()
    lines = reader.read(desktop((3840, 2160), 1.0))
    assert "does not exist" in "\n".join(line.text for line in lines)
    assert all(w * h * min(1.0, DETECT_MAX_SIDE / w) ** 2 <= DETECT_PIXELS for w, h in seen)
    assert sum(w * h for w, h in seen) < 0.7 * 3840 * 2160  # the wallpaper and the windows' empty parts are not read
    seen.clear()
    read_tiles(reader.fast, desktop((3840, 2160), 1.0), DETECT_PIXELS)
    assert len(seen) > 1 and all(width == 3840 for width, _ in seen)  # bands: no line of text is cut
    window = (3840 // 3 + 40, 2160 // 2 - 20, 3840 // 3 + 1000, 2160 // 2 + 600)
    again = reader.read_again(desktop((3840, 2160), 1.0), window, 11.0)  # enlarged past the accurate detector's share
    assert len(seen_fine) > 1 and all(w * h <= FINE_DETECT_PIXELS for w, h in seen_fine)
    assert "does not exist" in " ".join(b.text for b in again)
    seen.clear()
    reader.read(desktop((1920, 1080), 1.0))
    assert seen == [(1920, 1080)]


def chat_desktop() -> Image.Image:
    """An empty 2560x1440 desktop with a chat list at its right."""
    desk = Image.new("RGB", (2560, 1440), (34, 60, 92))
    draw = ImageDraw.Draw(desk)
    draw.rectangle((2200, 40, 2520, 1330), fill=(63, 14, 64))
    for i, line in enumerate(CHAT):
        draw.text((2215, 70 + 44 * i), line, font=ImageFont.truetype(FONT, 22), fill=(230, 220, 230))
    return desk


@pytest.mark.parametrize("shrink", [0.34, 0.36])
def test_a_window_shown_so_small_its_text_is_below_the_detector_s_floor_is_detected_enlarged(
    extractor: Extractor, shrink: float
) -> None:
    """A desktop with a terminal of 14 px text zoomed out to a third (4-5 px text) beside a chat list: the fast
    detector finds none of its lines at the screen's own size; where the screen shows marks no box covers, it is
    detected again at twice the size, and the failure is read."""
    from bot.extract.screen import UNREAD_SCALE, ScreenReader

    desk = chat_desktop()
    draw = ImageDraw.Draw(desk)
    lines = ["Traceback (most recent call last):", '  File "/srv/app/run.py", line 7, in <module>', "    cfg = load()"]
    window = small_window(
        [*lines, "json.decoder.JSONDecodeError: Expecting value: line 1 column 1 (char 0)"], 14, shrink
    )
    draw.rectangle((1798, 264, 1802 + window.width, 302 + window.height), fill=(200, 200, 200))
    desk.paste(window, (1800, 300))
    screen = extractor.screen_reader()
    seen: list[tuple[int, int]] = []
    text = "\n".join(line.text for line in ScreenReader(Recording(screen.fast, seen), screen.fine).read(desk))
    assert "Expecting" in text and "line 7" in text and "standup" not in text
    framed = (window.width + 100, window.height + 100)  # the window, its title bar and a margin
    assert any(
        UNREAD_SCALE * window.width <= w <= UNREAD_SCALE * framed[0]
        and UNREAD_SCALE * window.height <= h <= UNREAD_SCALE * framed[1]
        for w, h in seen
    )


@pytest.mark.parametrize("shrink", [0.34, 0.4])
def test_a_small_window_s_text_close_inside_a_frame_round_an_empty_page_is_read(
    extractor: Extractor, shrink: float
) -> None:
    """A browser zoomed out: FastAPI's JSON error in 5-6 px text at the top of a tall empty page, a few pixels inside
    a 6 px frame. The frame is an edge, no mark of text, so it does not spread the window's marks too thin to be
    detected again enlarged."""
    desk = chat_desktop()
    ImageDraw.Draw(desk).rectangle((1401, 201, 1801, 601), fill=(17, 17, 17), outline=(190, 190, 190), width=6)
    lines = [
        "$ curl -s localhost:8000/items?since=2024/11",
        '{"detail":[{"type":"date_from_datetime_parsing",',
        '"msg":"Input should be a valid date"}]}',
    ]
    window = small_window(lines, 14, shrink)
    desk.paste(window.crop((0, 0, window.width, 3 * window.height // 5)), (1411, 211))
    text = text_of(extractor, desk)
    assert "date_from_date" in text and "valid date" in text


def test_blocks_of_side_by_side_windows_are_never_joined_into_rows() -> None:
    pixels = np.zeros((200, 800, 3), dtype=np.uint8)
    pixels[:, :400] = (30, 30, 30)
    pixels[:, 400:] = (250, 250, 250)
    boxes = [TextBox("def main():", 0.9, 10, 10, 380, 30), TextBox("error: failed", 0.9, 420, 10, 700, 30)]
    for row in range(1, 5):
        boxes.append(TextBox(f"    x = {row}", 0.9, 10, 10 + 30 * row, 300, 30 + 30 * row))
    blocks = group(boxes, pixels)
    assert len(blocks) == 2
    kept = focus(blocks)
    assert [line.text for block in kept for line in block.lines()] == ["error: failed"]


def test_boxes_join_a_block_when_close_on_a_row_or_in_a_column_on_one_background() -> None:
    import random

    rng = random.Random(5)
    pixels = np.full((900, 1400, 3), 250, dtype=np.uint8)
    pixels[:, 700:] = (30, 30, 30)
    boxes = []
    for i in range(300):
        height, width = rng.choice([9, 14, 20, 60]) * rng.uniform(0.8, 1.2), rng.uniform(10, 200)
        left, top = rng.uniform(0, 1400 - width), rng.uniform(0, 900 - height)
        if left < 700 < left + width:
            continue  # a box standing on both backgrounds has a mixed colour
        boxes.append(TextBox(f"w{i}", 0.9, left, top, left + width, top + height))
    parent = list(range(len(boxes)))

    def root(i: int) -> int:
        return i if parent[i] == i else root(parent[i])

    for i, a in enumerate(boxes):  # every pair by the rule in `bot.extract.layout`
        for j, b in enumerate(boxes):
            tall, low = max(a.height, b.height), min(a.height, b.height)
            across = min(a.right, b.right) - max(a.left, b.left)
            down = min(a.bottom, b.bottom) - max(a.top, b.top)
            near = (down > 0.5 * low and -across < 2.5 * tall) or (across > 0 and -down < 1.8 * tall)
            if near and (a.left < 700) == (b.left < 700):
                parent[root(i)] = root(j)
    expected = {frozenset(b.text for k, b in enumerate(boxes) if root(k) == r) for r in map(root, range(len(boxes)))}
    assert 3 < len(expected) < len(boxes) // 2
    assert {frozenset(b.text for b in block.boxes) for block in group(boxes, pixels)} == expected


def test_a_screen_of_ten_thousand_boxes_is_grouped_without_comparing_every_pair_at_once() -> None:
    import tracemalloc

    pixels = np.full((2160, 3840, 3), 255, dtype=np.uint8)
    pixels[:, 1900:] = (40, 40, 40)
    cells = [
        TextBox(f"{row}:{col}", 0.9, 38 * col + 2, 21 * row + 3, 38 * col + 34, 21 * row + 17)
        for row in range(100)
        for col in range(100)
    ]  # a 4K spreadsheet's cells, half of them on a dark pane
    tracemalloc.start()
    blocks = group(cells, pixels)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert sorted(len(block.boxes) for block in blocks) == [5000, 5000]
    assert peak < 200e6  # all pairs at once held over a gigabyte


def test_more_failing_windows_side_by_side_than_python_recurses_are_found_window_by_window() -> None:
    from bot.extract.layout import windows

    pixels = np.full((40, 32 * 1100, 3), 255, dtype=np.uint8)
    boxes = [TextBox("Error 500", 0.9, 32 * i, 10, 32 * i + 8, 18) for i in reversed(range(1100))]
    blocks = group(boxes, pixels)  # cells of a status board, each too far from the next to join it
    assert len(blocks) == 1100
    kept = focus(blocks)
    assert [block.left for block in kept] == sorted(block.left for block in blocks)
    assert windows(kept) == list(range(1, 1101))


def test_a_window_title_beside_the_failing_window_is_dropped_and_the_line_below_it_kept() -> None:
    pixels = np.full((300, 1200, 3), 255, dtype=np.uint8)
    pixels[:, 900:] = (40, 40, 60)
    boxes = [
        TextBox("invoice.py - billing", 0.9, 920, 10, 1180, 30),  # another window's title, in its own column
        TextBox("psql: error: database crm_test does not exist", 0.9, 100, 100, 800, 120),
        TextBox("Hint: check the name", 0.9, 100, 130, 400, 150),  # under the error: kept
    ]
    kept = [line.text for block in focus(group(boxes, pixels)) for line in block.lines()]
    assert kept == ["psql: error: database crm_test does not exist", "Hint: check the name"]


def test_without_any_error_every_block_is_kept_but_an_editor_s_code() -> None:
    pixels = np.full((100, 800, 3), 255, dtype=np.uint8)
    boxes = [TextBox("Dashboard", 0.9, 10, 10, 200, 30), TextBox("Orders 12", 0.9, 600, 60, 780, 80)]
    assert len(focus(group(boxes, pixels))) == 2
    pixels = np.full((200, 1200, 3), 255, dtype=np.uint8)
    pixels[:, :400] = (30, 30, 30)
    code = ["def main():", "    x = 1", "    for row in rows:", "        total += row"]
    editor = [TextBox(line, 0.9, 10, 10 + 30 * n, 380, 30 + 30 * n) for n, line in enumerate(code)]
    terminal = [
        TextBox("Please commit your changes.", 0.9, 500, 10, 900, 30),
        TextBox("Aborting", 0.9, 500, 40, 640, 60),
    ]
    kept = [line.text for block in focus(group(editor + terminal, pixels)) for line in block.lines()]
    assert kept == ["Please commit your changes.", "Aborting"]
    assert len(focus(group(editor, pixels))) == 1, "a screen of nothing but code is kept whole"


def test_without_any_error_the_terminals_where_a_command_ran_are_kept_and_the_blocks_beside_them_dropped() -> None:
    from bot.extract.layout import windows

    pixels = np.full((400, 1600, 3), 255, dtype=np.uint8)
    pixels[60:, 1300:] = (70, 20, 70)  # a chat sidebar
    boxes = [
        TextBox("Activities Files Terminal Chrome Slack", 0.9, 10, 10, 1590, 30),  # a menu bar across the screen
        TextBox("Please commit your changes or stash them before you merge.", 0.9, 100, 100, 700, 120),
        TextBox("Aborting", 0.9, 100, 130, 250, 150),
        TextBox("kim@dev-box:~/etl$", 0.9, 100, 160, 400, 180),
        *(TextBox(line, 0.9, 1320, 100 + 30 * n, 1580, 120 + 30 * n) for n, line in enumerate(CHAT)),
    ]
    kept = focus(group(boxes, pixels))
    assert [line.text for block in kept for line in block.lines()] == [
        "Please commit your changes or stash them before you merge.",
        "Aborting",
        "kim@dev-box:~/etl$",
    ]
    assert windows(kept) == [0]
    chat = [TextBox(line, 0.9, 1320, 100 + 30 * n, 1580, 120 + 30 * n) for n, line in enumerate(CHAT)]
    assert len(focus(group(chat, pixels))) == 1, "a chat's `# channel` and `name:` lines are no prompts"


def test_a_long_block_s_second_look_reads_the_failure_s_lines_and_those_nearest_it_within_its_length() -> None:
    from bot.extract.screen import SECOND_LOOK_LENGTH, beyond_second_look

    pixels = np.full((1300, 600, 3), 255, dtype=np.uint8)
    frames = [TextBox(f'File "/srv/app/m{i}.py", line {i}', 0.8, 10, 10 + 40 * i, 410, 30 + 40 * i) for i in range(30)]
    failing = TextBox("KeyError: 'price'", 0.8, 10, 10 + 40 * 25, 410, 30 + 40 * 25)
    (block,) = group([*frames[:25], failing, *frames[26:]], pixels)
    left = beyond_second_look([block])
    read_again = [b for b in block.boxes if b not in left]
    assert failing in read_again and frames[24] in read_again and frames[26] in read_again  # the nearest first
    assert sum(b.width / b.height for b in read_again) <= SECOND_LOOK_LENGTH < sum(b.width / b.height for b in frames)
    assert frames[0] in left and frames[10] in left
    (short,) = group(frames[20:], pixels)
    assert beyond_second_look([short]) == []  # within the length: all of it is read again
    (no_failure,) = group(frames, pixels)
    assert beyond_second_look([no_failure]) == []  # nothing to centre on: all of it


def test_a_long_traceback_is_read_again_only_near_the_failure_and_its_far_frames_kept_as_first_read(
    extractor: Extractor,
) -> None:
    from bot.extract.screen import ScreenReader

    screen = extractor.screen_reader()
    frames = [f'  File "/srv/shop/handlers/orders_{i}.py", line {100 + i}, in export_{i}' for i in range(24)]
    lines = ["Traceback (most recent call last):", *frames, "KeyError: 'unit_price'"]
    window = compressed(terminal(lines, 15, 900), 0.55, 40)  # small text read unsurely: read again
    desk = Image.new("RGB", (2560, 1440), (40, 70, 110))
    desk.paste(window, (900, 400))
    found: list[str] = []
    heights: list[int] = []

    class Recording:
        def read(self, image: Image.Image) -> list[TextBox]:
            boxes = screen.fine.read(image)
            found.extend(b.text for b in boxes)
            heights.append(image.height)
            return boxes

    for image in (desk, window):  # on a desktop, and the window alone (a capture of the terminal)
        found.clear()
        heights.clear()
        text = "\n".join(line.text for line in ScreenReader(screen.fast, Recording()).read(image))
        assert found and len(found) < len(frames) // 2  # the accurate models read the failure's end, not every frame
        assert any("unit_price" in line.replace(" ", "") for line in found)
        assert max(heights) < window.height  # only the part of the screen the failure's lines fill, enlarged
        assert "unit_price" in text.replace(" ", "") and "orders_3" in text.replace(
            " ", ""
        )  # a far frame, as first read


def compressed(image: Image.Image, scale: float, quality: int) -> Image.Image:
    small = image.resize((int(image.width * scale), int(image.height * scale)), Image.Resampling.BILINEAR)
    out = io.BytesIO()
    small.save(out, "JPEG", quality=quality)
    return Image.open(io.BytesIO(out.getvalue())).convert("RGB")


def test_a_forwarded_jpeg_of_small_text_is_read_again_enlarged(extractor: Extractor) -> None:
    text = text_of(extractor, compressed(terminal(ERROR, 15), 0.55, 40))
    assert "FATAL" in text and "database" in text and "5432" in text and "crm" in text


def test_a_second_look_that_reads_less_than_the_first_does_not_replace_it(extractor: Extractor) -> None:
    """At the scale it is given, the accurate models' detector can miss most lines of a blurred capture: less than
    half of what the fast engine read."""
    from bot.extract.screen import ScreenReader

    screen = extractor.screen_reader()
    image = compressed(terminal(ERROR, 15), 0.55, 40)

    class FindingOneLine:
        def read(self, image: Image.Image) -> list[TextBox]:
            return screen.fine.read(image)[:1]

    def lines(fine: TextReader) -> list[str]:
        return [line.text for line in ScreenReader(screen.fast, fine).read(image)]

    kept = lines(FindingOneLine())
    assert len(kept) == 3 and "does not exist" in kept[-1] and "5432" in kept[1]
    assert lines(screen.fine) != kept  # a second look that reads as much replaces the first


def test_tiny_unsure_text_is_also_read_at_the_screen_s_own_size_keeping_only_lines_not_read_yet(
    extractor: Extractor,
) -> None:
    """A forwarded thumbnail's 6-7 px text: beside the enlarged second look, the accurate models read the whole screen
    at its own size, where they misread other letters; a line nearly the same as one already read is not kept twice.
    A screen of clear text is not read so."""
    from bot.extract.screen import ScreenReader
    from bot.extract.strip import framed

    screen = extractor.screen_reader()
    sizes: list[tuple[int, int]] = []

    class Recording:
        def read(self, image: Image.Image) -> list[TextBox]:
            sizes.append(image.size)
            return screen.fine.read(image)

    thumbnail, clear = compressed(terminal(ERROR, 15), 0.45, 35), compressed(terminal(ERROR, 15), 1.0, 90)
    ScreenReader(screen.fast, Recording()).read(thumbnail)
    assert framed(thumbnail).size in sizes  # a strip 59 px high, read in its frame
    sizes.clear()
    ScreenReader(screen.fast, Recording()).read(clear)
    assert clear.size not in sizes
    pixels = np.asarray(thumbnail)
    own = screen.also_at_own_size(thumbnail, pixels, [], None)
    assert any("5432" in line.text for line in own)
    assert screen.also_at_own_size(thumbnail, pixels, own, None) == []
    nearly = [replace(line, text=line.text[:-2]) for line in own]  # the same lines read two letters shorter
    assert screen.also_at_own_size(thumbnail, pixels, nearly, None) == []


def read_counting(extractor: Extractor, image: Image.Image) -> tuple[str, int, int]:
    """The text a screen reader finds on `image`, and how many times it asked the fast and the accurate models to
    read."""
    from bot.extract.screen import ScreenReader

    screen = extractor.screen_reader()
    calls = {"fast": 0, "fine": 0}

    class Counting:
        def __init__(self, reader: TextReader, name: str) -> None:
            self.reader, self.name = reader, name

        def read(self, image: Image.Image) -> list[TextBox]:
            calls[self.name] += 1
            return self.reader.read(image)

    reader = ScreenReader(Counting(screen.fast, "fast"), Counting(screen.fine, "fine"))
    text = "\n".join(line.text for line in reader.read(image))
    return text, calls["fast"], calls["fine"]


def test_a_screen_showing_a_little_large_clear_text_is_not_read_again_but_one_of_tiny_text_is(
    extractor: Extractor,
) -> None:
    """A recording's first frame often shows only a command; reading the whole 1080p screen again with the
    accurate models cost a second and found nothing more. Little text that is tiny still is read again."""
    prompt = Image.new("RGB", (1920, 1080), (40, 42, 54))
    ImageDraw.Draw(prompt).text((40, 60), "$ ./run.sh --env", font=ImageFont.truetype(FONT, 40), fill=(230, 230, 230))
    text, _, calls = read_counting(extractor, prompt)
    assert calls == 0 and "run.sh" in text
    tiny = compressed(terminal(ERROR[2:], 15, 520), 0.4, 35)
    assert read_counting(extractor, tiny)[2] >= 1


def test_sharp_small_text_read_surely_is_not_read_again_but_tinier_or_compressed_text_is(extractor: Extractor) -> None:
    """A desktop's 13-14 px terminal or debugger page is read surely by the fast engine: the accurate models' second
    look cost a second of a whole-desktop screenshot and changed a letter or two. Smaller text, or the same text
    compressed (read less surely), is still read again."""
    from bot.extract.screen import SMALL_TEXT, SURE, SURE_TEXT

    screen = extractor.screen_reader()

    def block(image: Image.Image) -> tuple[float, float]:
        (found,) = group(screen.fast.read(image), np.asarray(image))
        chars = sum(len(b.text) for b in found.boxes)
        return found.height, sum(b.confidence * len(b.text) for b in found.boxes) / chars

    sharp = terminal(ERROR * 2, 10)  # a window, not a strip cut round its lines (those are read framed)
    height, confidence = block(sharp)
    assert SURE_TEXT <= height < SMALL_TEXT and confidence >= SURE  # small, but read surely
    text, _, calls = read_counting(extractor, sharp)
    assert calls == 0 and "does not exist" in text and "5432" in text
    tiny, blocky = terminal(ERROR, 8), compressed(terminal(ERROR, 10), 1.0, 20)
    assert block(tiny)[0] < SURE_TEXT and block(blocky)[1] < SURE
    assert all(read_counting(extractor, image)[2] >= 1 for image in (tiny, blocky))


def test_a_screen_blurred_past_what_the_detector_finds_is_read_sharpened(extractor: Extractor) -> None:
    """At this blur the fast engine finds nothing and a second look at the plain copy reads no error; with its
    edges sharpened the error is read."""
    from bot.extract.screen import TINY_TEXT, ScreenReader

    screen = extractor.screen_reader()
    blurred = terminal(ERROR, 22).filter(ImageFilter.GaussianBlur(4.0))
    plain = screen.read_again(blurred, (0, 0, *blurred.size), TINY_TEXT)
    assert screen.fast.read(blurred) == [] and not any("exist" in box.text for box in plain)
    text = "\n".join(line.text for line in ScreenReader(screen.fast, screen.fine).read(blurred))
    assert "database" in text and "does not exist" in text


def test_a_screen_of_scattered_unsure_guesses_is_read_again_whole(extractor: Extractor) -> None:
    """At this blur the fast engine reads more characters than `LITTLE_TEXT`, but guesses (low confidence) and not
    the error: counted by confidence it read little, so the whole screen is read again sharpened."""
    from bot.extract.screen import DETECT_PIXELS, LITTLE_TEXT, ScreenReader, amount, read_tiles

    screen = extractor.screen_reader()
    blurred = terminal(ERROR, 16).filter(ImageFilter.GaussianBlur(2.8))
    guesses = read_tiles(screen.fast, blurred, DETECT_PIXELS)
    assert sum(len(box.text) for box in guesses) >= LITTLE_TEXT > amount(guesses)
    assert not any("FATAL" in box.text for box in guesses)
    text = "\n".join(line.text for line in ScreenReader(screen.fast, screen.fine).read(blurred))
    assert "FATAL" in text and "database" in text


def test_a_dark_screen_blurred_past_what_the_detectors_find_is_read_inverted(extractor: Extractor) -> None:
    """Light text on a dark terminal, blurred as a photo's focus blurs it: neither engine's detector finds the error
    as it is; the accurate one does on the inverted copy (dark on light)."""
    from bot.extract.screen import FINE_DETECT_PIXELS, ScreenReader, read_tiles

    screen = extractor.screen_reader()
    dark = ImageOps.invert(terminal(ERROR, 16)).filter(ImageFilter.GaussianBlur(3.0))
    as_it_is = read_tiles(screen.fine, dark, FINE_DETECT_PIXELS)
    assert screen.fast.read(dark) == [] and not any("exist" in box.text for box in as_it_is)
    text = "\n".join(line.text for line in ScreenReader(screen.fast, screen.fine).read(dark))
    assert "FATAL" in text and "does not exist" in text


def photo_of(screen: Image.Image) -> Image.Image:
    """The screen photographed at an angle: bezel, perspective, light noise and blur."""
    w, h = screen.size
    framed = Image.new("RGB", (w + 80, h + 80), (10, 10, 12))
    framed.paste(screen, (40, 40))
    W, H = framed.size
    dst = [(0.08 * W, 0.12 * H), (0.93 * W, 0.04 * H), (0.97 * W, 0.95 * H), (0.04 * W, 0.88 * H)]
    photo = framed.transform(
        (W, H), Image.Transform.PERSPECTIVE, plane(dst, (W, H)), Image.Resampling.BICUBIC, fillcolor=(90, 80, 70)
    )
    noisy = np.asarray(photo).astype(np.float32) + np.random.default_rng(0).normal(0, 5, (H, W, 3))
    return Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(0.8))


def dark_terminal(lines: list[str], size: int = 22) -> Image.Image:
    """A dark purple terminal: prompts in green, the program's error in red (how psql's error shows in Ubuntu's)."""
    image = Image.new("RGB", (1100, 60 + int(size * 1.6) * len(lines)), (48, 10, 36))
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(lines):
        colour = (138, 226, 52) if "$" in line else (204, 0, 0)
        draw.text((16, 20 + int(size * 1.6) * i), line, font=ImageFont.truetype(FONT, size), fill=colour)
    return image


def dimmed(image: Image.Image, light: float) -> Image.Image:
    """`image` as a photo taken in a dim room: `light` of its brightness, saved as a phone saves it (JPEG)."""
    out = io.BytesIO()
    Image.fromarray((np.asarray(image).astype(np.float32) * light).astype(np.uint8)).save(out, "JPEG", quality=70)
    return Image.open(out)


def test_a_dim_picture_is_brightened_and_a_dim_dark_one_inverted_too() -> None:
    shot, flat = terminal(ERROR), Image.new("RGB", (400, 300), (20, 20, 20))
    assert brightened(shot) is None and brightened(flat) is None  # a screenshot's full range; nothing to stretch
    light, dark = brightened(dimmed(terminal(ERROR), 0.4)), brightened(dimmed(dark_terminal(ERROR), 0.3))
    for picture in (light, dark):
        assert picture is not None
        grey = np.asarray(picture.convert("L"))
        assert grey.min() <= 10 and grey.max() >= 245 and np.median(grey) >= 200  # dark text on light either way


def test_a_dark_terminal_photographed_in_a_dim_room_has_its_red_error_read(extractor: Extractor) -> None:
    """A quarter of the light: read as it is, the fast engine finds the green prompts but hardly the red error lines
    (a few dozen grey levels from the purple); brightened and inverted, it finds them."""
    photo = dimmed(photo_of(dark_terminal([*ERROR, "kim@dev-box:~/etl$"])), 0.25)
    text = text_of(extractor, photo)
    assert "does not exist" in text and "5432 failed" in text


def test_a_phone_photo_is_straightened_and_read(extractor: Extractor) -> None:
    photo = photo_of(terminal(ERROR, 22))
    flat = straighten(photo)
    assert flat is not photo and rectify(flat) is flat  # no slanted outline is left
    text = text_of(extractor, photo)
    assert "does not exist" in text and "crm_test" in text


def test_a_large_photo_keeps_the_screen_at_the_resolution_it_was_taken(extractor: Extractor) -> None:
    """Mapping the whole photo into a fixed width shrank a 2400 px photo's screen to 3/4 and its text below
    what the detectors find; the screen and a margin are mapped at their own size."""
    photo = photo_of(terminal(ERROR, 18, 2300)).filter(ImageFilter.GaussianBlur(1.2))
    flat = straighten(photo)
    outline_width = 0.87 * photo.width  # the screen's top edge runs from 8 % to 93 % of the photo's width
    assert outline_width <= flat.width <= MAX_SIDE
    text = text_of(extractor, photo)
    assert "does not exist" in text and "5432" in text


def test_a_large_photo_is_detected_whole_not_only_where_its_blurred_text_is_marked(extractor: Extractor) -> None:
    """A photo's blurred text can span too few grey levels to be marked as showing something (a dark terminal's red
    error line, photographed, was missed whole), so the fast detector is given all of a photo, unlike a screenshot."""
    from bot.extract.screen import DETECT_PIXELS, ScreenReader

    screen = extractor.screen_reader()
    given: list[int] = []

    class Counting:
        def read(self, image: Image.Image) -> list[TextBox]:
            given.append(image.width * image.height)
            return screen.fast.read(image)

    photo = photo_of(desktop((2560, 1440), 1.0))
    flat = straighten(photo)
    assert flat is not photo and flat.width * flat.height > DETECT_PIXELS
    ScreenReader(Counting(), screen.fine).read(photo)
    assert sum(given) >= flat.width * flat.height  # every band of the whole photo (bands overlap)
    given.clear()
    ScreenReader(Counting(), screen.fine).read(desktop((2560, 1440), 1.0))
    assert sum(given) < 0.8 * 2560 * 1440


@pytest.mark.parametrize("turn", [Image.Transpose.ROTATE_90, Image.Transpose.ROTATE_270])
def test_a_screenshot_or_photo_on_its_side_is_turned_upright_and_read(
    extractor: Extractor, turn: Image.Transpose
) -> None:
    """A photo whose orientation tag was lost on the way arrives on its side: read as it is, its lines stand on end
    and the recogniser reads them upside down half the time."""
    for image in (terminal(ERROR, 22), photo_of(terminal(ERROR, 22))):
        text = text_of(extractor, image.transpose(turn))
        assert "does not exist" in text and "crm_test" in text and "5432" in text
    _, fast_reads, _ = read_counting(extractor, terminal(ERROR, 22).transpose(turn))
    # read as it came, then turned back a quarter; the first turn tried reads a screenshot turned the other way
    # upside down, never surely, so the other is tried too; one read surely is kept without trying the other
    assert fast_reads == (2 if turn == Image.Transpose.ROTATE_270 else 3)


def test_a_screen_is_only_turned_when_most_of_its_lines_stand_on_end() -> None:
    from bot.extract.screen import on_end

    line, word, blob = TextBox("psql: error", 0.9, 0, 0, 400, 20), TextBox("x", 0.9, 0, 0, 12, 20), (0, 0, 300, 300)
    standing = TextBox("rorre :lqsp", 0.6, 0, 0, 20, 400)
    assert on_end([standing, standing, word]) and on_end([standing, TextBox("big", 0.5, *blob)])
    assert not on_end([line, line, standing]) and not on_end([line, word, word]) and not on_end([])


def test_a_terminal_s_scrollback_of_routine_records_above_the_failure_is_not_read_as_the_failure(
    extractor: Extractor,
) -> None:
    """Forty lines of a server's routine output above the error drowned it: the query read as the log."""
    routine = [f"10:41:{i:02d} INFO processed batch {400 + i} (250 records)" for i in range(0, 40, 2)]
    routine += [f"10:42:{i:02d} DEBUG cache miss key=user:{70 + i}" for i in range(0, 40, 2)]
    text = text_of(extractor, terminal([*routine, *ERROR], 16))
    assert "does not exist" in text and "psql -h localhost" in text
    assert "processed batch" not in text and "cache miss" not in text


def test_screenshots_are_not_taken_for_photos() -> None:
    shot = terminal(ERROR)
    assert straighten(shot) is shot
    assert straighten(desktop((2560, 1440), 1.0)) is not None


def test_a_strip_one_pixel_high_is_no_photo_and_is_read_without_failing(extractor: Extractor) -> None:
    for size in ((40000, 1), (1, 40000), (9000, 8)):
        strip = Image.new("RGB", size, "white")
        assert straighten(strip) is strip
        assert extractor.ocr(strip) == ()


def test_tiles_cover_a_large_screen_with_overlap_within_what_the_detector_takes_at_a_time() -> None:
    from bot.extract.ocr import DETECT_MAX_SIDE
    from bot.extract.screen import DETECT_PIXELS, MIN_DETECT_SCALE, OVERLAP, TILE_SIDE, tile_spans, tiles

    for size in (2560, 3840, 5120, 7680):
        spans = tile_spans(size, TILE_SIDE)
        assert spans[0][0] == 0 and spans[-1][1] == size
        assert all(end - start <= TILE_SIDE for start, end in spans)
        assert all(a[1] - b[0] == OVERLAP for a, b in zip(spans, spans[1:], strict=False))
    for width, height in ((2560, 1440), (3840, 2160), (5120, 1440), (1000, 8000)):
        covered = np.zeros((height, width), dtype=bool)
        for left, top, right, bottom in tiles(width, height, DETECT_PIXELS):
            scale = min(1.0, DETECT_MAX_SIDE / max(right - left, bottom - top))  # as the detector shrinks it
            assert scale >= MIN_DETECT_SCALE and (right - left) * (bottom - top) * scale**2 <= DETECT_PIXELS
            covered[top:bottom, left:right] = True
        assert covered.all()


def snipped(lines: list[str], size: int, margin: int) -> Image.Image:
    """`lines` in red on a light terminal, cut to their ink with `margin` pixels around it (a snipping tool's tight
    rectangle)."""
    shot = terminal(lines, size, ink=(200, 30, 30))
    ink = ImageOps.invert(shot.convert("L")).point(lambda v: 255 if v > 64 else 0).getbbox()
    assert ink is not None
    left, top, right, bottom = ink
    return shot.crop((left - margin, top - margin, right + margin, bottom + margin))


@pytest.mark.parametrize("engine", ["faster-paddle", "rapidocr"])
def test_a_strip_cut_tight_round_its_lines_is_read_whole(shared_models: dict, engine: str) -> None:
    from bot.extract.ocr import load_reader
    from bot.extract.screen import ScreenReader

    if engine == "faster-paddle":
        reader = shared_models["extractor"].screen_reader()
    else:
        rapid = load_reader("rapidocr", 2)
        reader = ScreenReader(rapid, rapid)
    for size, count, margin in itertools.product((12, 13, 14, 16), (1, 2), (0, 2, 4, 8)):  # 13-57 px high
        text = " ".join(line.text for line in reader.read(snipped(ERROR[1 : 1 + count], size, margin)))
        assert "connection to server" in text and "5432" in text, (size, count, margin, text)
        assert count == 1 or "does not exist" in text, (size, count, margin, text)


@pytest.mark.parametrize("edge", ["top", "bottom"])
def test_a_line_a_strip_s_edge_cuts_through_is_left_out_and_the_whole_lines_read(
    extractor: Extractor, edge: str
) -> None:
    from difflib import SequenceMatcher

    shot = terminal(["Traceback (most recent call last):", *ERROR[1:], "kim@dev-box:~/etl$ git status --short"], 16)
    step = int(16 * 1.6)  # `terminal`'s line pitch; lines start at y=20 and are about 16 px high
    top, bottom = (28, 20 + 3 * step - 3) if edge == "top" else (20 + step - 5, 20 + 3 * step + 7)
    lines = [line.text for line in extractor.ocr(shot.crop((0, top, shot.width, bottom)))]
    whole = ERROR[1:]
    assert len(lines) == len(whole)
    assert all(max(SequenceMatcher(None, line, w).ratio() for line in lines) > 0.8 for w in whole)


def test_only_a_line_the_edge_cuts_through_is_cut_off_a_strip_and_a_long_one_is_not_framed() -> None:
    from bot.extract.strip import DETECT_CELL, bands, framed, is_strip, without_cut_lines

    assert bands(np.array([1, 1, 0, 0, 1, 1, 1, 0, 1], dtype=bool)) == [(0, 2), (4, 7), (8, 9)]
    strip = Image.new("RGB", (300, 60), "white")
    draw = ImageDraw.Draw(strip)
    draw.rectangle((10, 0, 200, 5), fill="black")  # the lower third of a line above
    draw.rectangle((10, 14, 250, 30), fill="black")  # a whole line
    draw.rectangle((10, 40, 220, 56), fill="black")  # a whole line, 4 px above the edge
    assert without_cut_lines(strip).size == (300, 60 - 14)
    assert without_cut_lines(strip.crop((0, 6, 300, 60))).size == (300, 54)  # nothing cut
    frame = framed(strip)
    assert frame.width % DETECT_CELL == 0 and frame.height % DETECT_CELL == 0 and frame.getpixel((2, 2)) == (255,) * 3
    assert is_strip((900, 40)) and not is_strip((900, 400)) and not is_strip((40000, 1))
