"""bot.extract.wrapping: rows a line was wrapped onto are read as that line, on boxes drawn here and with the real OCR
on rendered pages and terminals."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from bench.captures import wrap_words
from bot.extract import Extractor, TextBox
from bot.extract.wrapping import free, starts_a_line, wrapped
from tests.support import FONT

SANS = FONT.replace("DejaVuSansMono", "DejaVuSans")
MERGE = "error: Your local changes to the following files would be overwritten by merge:"
PSQL = (
    'psql: error: connection to server at "localhost" (::1), port 5432 failed: FATAL: database "crm_test" does not '
    "exist"
)


@pytest.fixture(scope="module")
def extractor(shared_models: dict) -> Extractor:
    return shared_models["extractor"]


def read(extractor: Extractor, image: Image.Image) -> list[str]:
    return [line.text for line in extractor.ocr(image)]


def phone_page(lines: list[str], size: int = 44, width: int = 1170, margin: int = 48) -> Image.Image:
    """A page as a phone shows it: proportional text wrapped between words to the screen's width."""
    face = ImageFont.truetype(SANS, size)
    rows = wrap_words(lines, face, width - 2 * margin)
    image = Image.new("RGB", (width, 2 * margin + int(size * 1.5) * len(rows)), "white")
    draw = ImageDraw.Draw(image)
    for i, row in enumerate(rows):
        draw.text((margin, margin + int(size * 1.5) * i), row, font=face, fill=(28, 28, 30))
    return image


def test_a_phone_page_s_line_wrapped_between_words_is_read_as_one_line(extractor: Extractor) -> None:
    page = phone_page(["kim@dev-box:~/etl$ git pull origin main", MERGE, "README.md", "Aborting"])
    lines = read(extractor, page)
    assert MERGE in lines
    assert "README.md" in lines and "Aborting" in lines


def mono_terminal(rows: list[str], size: int = 20, columns: int = 60, pad: int = 12) -> Image.Image:
    """A terminal `columns` characters wide showing `rows` as they are (the caller wraps or cuts them)."""
    face = ImageFont.truetype(FONT, size)
    step = int(size * 1.4)
    image = Image.new("RGB", (2 * pad + int(face.getlength("M" * columns)), 2 * pad + step * len(rows)), (250,) * 3)
    draw = ImageDraw.Draw(image)
    for i, row in enumerate(rows):
        draw.text((pad, pad + step * i), row, font=face, fill=(30, 30, 30))
    return image


def test_a_terminal_s_line_wrapped_at_its_last_column_is_read_as_one_line(extractor: Extractor) -> None:
    columns = 60
    rows = ["kim@dev-box:~/etl$ psql -d crm_test"] + [PSQL[i : i + columns] for i in range(0, len(PSQL), columns)]
    lines = read(extractor, mono_terminal([*rows, "kim@dev-box:~/etl$"], columns=columns))
    assert any(line.startswith("psql: error") and line.endswith("does not exist") for line in lines), lines


def test_a_terminal_cropped_narrower_than_its_lines_keeps_each_line_apart(extractor: Extractor) -> None:
    """Cut at the crop's edge, a line looks wrapped; the next is a line of its own by how it starts."""
    columns = 40
    printed = [
        "deploy@prod:~/reports$ curl http://backend.lan:9094/info",
        "curl: (1) Received HTTP/0.9 when not allowed",
    ]
    lines = read(extractor, mono_terminal([line[:columns] for line in printed], columns=columns))
    assert len(lines) == 2 and lines[1].startswith("curl: (1)"), lines


def box(text: str, left: float, top: float, right: float, height: float = 20.0) -> TextBox:
    return TextBox(text, 0.99, left, top, right, top + height)


WHITE = np.full((200, 600, 3), 255, dtype=np.uint8)


@pytest.mark.parametrize(
    ("above", "below", "joined"),
    [
        (box("the failure's line goes on", 20, 20, 560), box("below", 20, 48, 120), True),  # 20 px left, 100 needed
        (box("a line of its own", 20, 20, 300), box("below", 20, 48, 120), False),  # 280 px left: 'below' fits
        (box("a short row", 20, 20, 200), box("averyveryverylongwordindeed", 20, 48, 560), False),  # over MOST_ROOM
        (box("the failure's line goes on", 20, 20, 560), box("below", 20, 88, 120), False),  # a blank line between
        (box("the failure's line goes on", 20, 20, 560), box("below", 80, 48, 180), False),  # indented further
        (box("the failure's line goes on", 20, 20, 560), box("below", 20, 48, 120, 40), False),  # twice as high
        (box("a sentence that ends here.", 20, 20, 560), box("Aborting", 20, 48, 160), False),
        (box("the failure's line goes on", 20, 20, 560), box("kim@dev-box:~/etl", 20, 48, 300), False),  # a prompt
        (box("the failure's line goes on", 20, 20, 560), box("curl: (7) Failed", 20, 48, 300), False),
    ],
)
def test_a_row_is_wrapped_onto_the_next_only_when_its_first_word_would_not_fit_and_it_goes_on(
    above: TextBox, below: TextBox, joined: bool
) -> None:
    assert wrapped([above], [below], (20, 560), WHITE) is joined


def test_a_short_row_with_something_close_beside_it_is_a_line_of_its_own() -> None:
    """A label above a page's text, with an icon right of it: little room to the icon, far from the widest row."""
    pixels = WHITE.copy()
    pixels[20:40, 170:190] = 0
    label, body = box("Pretty-print", 20, 20, 160), box('{"detail":"Not Found"}', 20, 48, 300)
    assert not wrapped([label], [body], (20, 560), pixels)
    assert wrapped([label], [body], (20, 160), pixels)  # the widest row ending there, the label would go on


def test_the_room_after_a_row_ends_at_a_border_or_the_image_s_edge() -> None:
    pixels = WHITE.copy()
    row = [box("text", 20, 20, 200)]
    assert free(pixels, row, rightward=True) == pytest.approx(600 - 202, abs=1)
    pixels[:, 400:402] = 0  # a window's border
    assert free(pixels, row, rightward=True) == pytest.approx(400 - 203, abs=1)
    assert free(pixels, row, rightward=False) == pytest.approx(18, abs=1)
    assert free(pixels, row, rightward=True, within=50) == 51  # looked no farther


@pytest.mark.parametrize(
    ("row", "starts"),
    [
        ("curl: (52) Empty reply from server", True),
        ("FATAL: role does not exist", True),
        ("alex@ThinkPad-T14:-/chatbots git status", True),  # a prompt whose $ was misread
        ("npm error code ENOENT", True),
        ("2026-11-26 09:18:58 ERROR worker failed", True),
        ("would be overwritten by merge:", False),
        ('should be a valid date or datetime","input":"Nov 26"', False),
    ],
)
def test_a_row_that_starts_as_a_program_s_line_starts_one(row: str, starts: bool) -> None:
    assert starts_a_line(row) is starts


def test_a_title_bar_s_label_is_not_joined_to_the_body_below_it() -> None:
    """Chrome's JSON viewer: "Pretty-print" on a grey bar, the body's one line below it on a darker ground."""
    pixels = np.full((200, 600, 3), 17, dtype=np.uint8)
    pixels[:40] = 68
    label, body = box("Pretty-print", 20, 18, 560), box('{"detail":"Not Found"}', 20, 46, 540)
    assert not wrapped([label], [body], (20, 560), pixels)
    pixels[:40] = 17
    assert wrapped([label], [body], (20, 560), pixels)
