"""How long, and how much memory, does one question take when its screenshot is built to be costly to read? (issue 11:
nothing a user sends may stall the bot; peak RSS within 2 GB)

    .venv/bin/python -m bench.hostile_screens [--stop-after 300]

Indexes the shipped `knowledge/` in a temporary folder and asks the engine, for each screen below, one question with
that screen as a PNG: a 4K spreadsheet of 10,000 cells, a 4K status board of as many cells on alternating colours, a
4K terminal full of small text, a full-page capture of a long page, 4K of random noise and a strip one pixel high.
Each but the strip shows a real nginx error log (the shipped 502 bug) in its middle. The screens are as large as a
real capture is, within the image limits; what makes them costly is how much text they show. Prints the seconds each
question took, the process's peak RSS meanwhile (sampled every 0.2 s), the decision and the bug first. A question
still unanswered after `--stop-after` seconds is stopped.
"""

from __future__ import annotations

import argparse
import io
import os
import random
from collections.abc import Callable

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np  # noqa: E402
from PIL import Image, ImageDraw, ImageFont  # noqa: E402

from bench.big_message import FONT  # noqa: E402
from bench.burst import Sampler  # noqa: E402
from bench.hostile_text import ERROR_LOG, cells, table_engine, timed  # noqa: E402
from bot.records import Attachment, Query  # noqa: E402


def words(rng: random.Random, count: int) -> str:
    """`count` random words of 2-9 letters and digits."""
    letters = "abcdefghijklmnopqrstuvwxyz0123456789"
    return " ".join("".join(rng.choices(letters, k=rng.randint(2, 9))) for _ in range(count))


def with_error(image: Image.Image) -> Image.Image:
    """`image` with the nginx error log drawn on a white panel in its middle, at 16 px."""
    lines = ERROR_LOG.splitlines()
    font = ImageFont.truetype(FONT, 16)
    width = int(max(font.getlength(line) for line in lines)) + 40
    left, top = max(0, (image.width - width) // 2), image.height // 2
    draw = ImageDraw.Draw(image)
    draw.rectangle((left, top, left + width, top + 26 * len(lines) + 30), fill=(255, 255, 255))
    for n, line in enumerate(lines):
        draw.text((left + 20, top + 15 + 26 * n), line, font=font, fill=(200, 30, 30))
    return image


def spreadsheet() -> Image.Image:
    """A 4K spreadsheet: 100 rows of 100 numbered cells."""
    image = Image.new("RGB", (3840, 2160), "white")
    draw, font, rng = ImageDraw.Draw(image), ImageFont.truetype(FONT, 11), random.Random(1)
    for row in range(100):
        for col in range(100):
            box = (38 * col, 21 * row, 38 * col + 38, 21 * row + 21)
            draw.rectangle(box, outline=(200, 200, 200))
            draw.text((box[0] + 3, box[1] + 4), str(rng.randint(0, 99999)), fill="black", font=font)
    return with_error(image)


def status_board() -> Image.Image:
    """A 4K status board: 100 rows of 100 cells on alternating colours, every third one saying `Error`."""
    image = Image.new("RGB", (3840, 2160), "white")
    draw, font = ImageDraw.Draw(image), ImageFont.truetype(FONT, 11)
    for row in range(100):
        for col in range(100):
            box = (38 * col, 21 * row, 38 * col + 38, 21 * row + 21)
            draw.rectangle(box, fill=(250, 250, 250) if (row + col) % 2 else (30, 40, 120))
            text, ink = ("Error", (200, 30, 30)) if (row * col) % 3 == 0 else ("ok", (30, 160, 30))
            draw.text((box[0] + 3, box[1] + 4), text, fill=ink, font=font)
    return with_error(image)


def text_page(width: int, height: int, size: int) -> Image.Image:
    """A page `width` x `height` filled with lines of random words at `size` px."""
    image = Image.new("RGB", (width, height), "white")
    draw, font, rng = ImageDraw.Draw(image), ImageFont.truetype(FONT, size), random.Random(2)
    per_line = int(width / (size * 4))
    for top in range(4, height - size, size + 3):
        draw.text((6, top), words(rng, per_line), fill=(30, 30, 30), font=font)
    return with_error(image)


def noise() -> Image.Image:
    return with_error(Image.fromarray(np.random.default_rng(3).integers(0, 256, (2160, 3840, 3), dtype=np.uint8)))


SCREENS: dict[str, Callable[[], Image.Image]] = {
    "4K spreadsheet, 10,000 cells": spreadsheet,
    "4K status board, 10,000 cells on alternating colours": status_board,
    "4K terminal of 11 px text": lambda: text_page(3840, 2160, 11),
    "full-page capture 1280×30000, 14 px text": lambda: text_page(1280, 30000, 14),
    "4K of random noise": noise,
    "a strip 40000×1": lambda: Image.new("RGB", (40000, 1), "white"),
}


def png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stop-after", type=int, default=300, help="Seconds after which a question is stopped.")
    args = parser.parse_args()
    with table_engine(
        "bench-hostile-screens-", ("screen", "seconds", "peak RSS MB", "decision", "first bug")
    ) as matcher:
        for name, draw in SCREENS.items():
            query = Query(attachments=(Attachment("screen.png", png(draw())),))
            with Sampler() as sampler:
                took, decision, best = cells(*timed(matcher, query, args.stop_after))
            print(f"| {name} | {took} | {sampler.rss_mb:.0f} | {decision} | {best} |", flush=True)


if __name__ == "__main__":
    main()
