"""`bench.captures`, the generator of the captures the intake is measured on: every kind it lists draws a capture
that the bot decodes again, and every log shape writes the failure's lines (a broken kind is found here, not halfway
through a measurement)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from bench.captures import IMAGE_KINDS, LOG_WRITERS, save
from bot.intake.image import decode_image
from tests.support import FONT

FAILURE = [
    "kim@dev-box:~/etl$ psql -h localhost -U app -d crm_test",
    'psql: error: connection to server at "localhost" (::1), port 5432 failed:',
    'FATAL:  database "crm_test" does not exist',
]
PIXELS = 40_000_000  # more than the largest kind (an ultrawide desktop) draws


@pytest.fixture(scope="module")
def screenshot() -> Image.Image:
    image = Image.new("RGB", (620, 150), (250, 250, 250))
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(FAILURE):
        draw.text((12, 20 + 26 * i), line, font=ImageFont.truetype(FONT, 15), fill=(30, 30, 30))
    return image


@pytest.mark.parametrize("kind", sorted(IMAGE_KINDS))
def test_every_image_kind_draws_a_capture_the_bot_decodes(kind: str, screenshot: Image.Image, tmp_path: Path) -> None:
    for seed in range(4):  # the kinds choose their shapes at random (a gutter's viewer, a photo's format)
        image, how = IMAGE_KINDS[kind](screenshot, random.Random(seed))
        saved = save(image, how, tmp_path / f"{kind}-{seed}")
        assert decode_image(saved.read_bytes(), PIXELS, PIXELS).size == image.size


@pytest.mark.parametrize("shape", sorted(LOG_WRITERS))
def test_every_log_shape_writes_the_failure_s_lines(shape: str) -> None:
    for seed in range(4):
        log = LOG_WRITERS[shape](FAILURE, random.Random(seed))
        assert "does not exist" in log and "crm_test" in log
