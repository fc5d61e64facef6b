"""Peak memory of one message with many very large screenshots (issue 13: 10 × 40 MP in one message).

    .venv/bin/python -m bench.big_message [--files 10] [--megapixels 40]

Indexes the shipped `knowledge/` in a temporary folder, renders one real error screen (a terminal showing the
shipped curl certificate error) scaled up to `--megapixels`, and asks the engine one question with `--files` copies
of it attached, as the Slack layer would after downloading them. Prints the process's peak RSS before the question
(models loaded, warm) and after it, the answer, and what each attachment became.
"""

from __future__ import annotations

import argparse
import io
import math
import os
import resource
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from PIL import Image, ImageDraw, ImageFont  # noqa: E402

from bot.matcher import Matcher  # noqa: E402
from bot.records import Attachment, Query  # noqa: E402
from bot.refresh import build_refresher  # noqa: E402
from bot.settings import Settings  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"
LINES = [
    "ops@web-3:/srv/lumen$ curl https://api.lumen.test/health",
    "curl: (60) SSL certificate problem: certificate has expired",
    "More details here: https://curl.se/docs/sslcerts.html",
]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def screenshot(megapixels: float) -> bytes:
    """A terminal screen with the error, drawn at 1400×800 and scaled up to about `megapixels`, as a PNG."""
    small = Image.new("RGB", (1400, 800), (30, 30, 30))
    draw = ImageDraw.Draw(small)
    font = ImageFont.truetype(FONT, 22)
    for n, line in enumerate(LINES):
        draw.text((30, 40 + 36 * n), line, font=font, fill=(230, 230, 230))
    scale = math.sqrt(megapixels * 1e6 / (1400 * 800))
    large = small.resize((math.floor(1400 * scale), math.floor(800 * scale)), Image.Resampling.BICUBIC)
    out = io.BytesIO()
    large.save(out, format="PNG")
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10)
    parser.add_argument("--megapixels", type=float, default=40.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-big-message-") as work:
        settings = Settings(knowledge_dir=ROOT / "knowledge", data_dir=Path(work))
        matcher = Matcher.from_settings(settings)
        build_refresher(settings, matcher.embedder, matcher.extractor).refresh()
        matcher.warm()
        data = screenshot(args.megapixels)
        attachments = tuple(Attachment(f"screen-{n}.png", data, "image/png") for n in range(args.files))
        before = peak_rss_mb()
        started = time.perf_counter()
        answer = matcher.match(Query(attachments=attachments))
        seconds = time.perf_counter() - started
        after = peak_rss_mb()
    best = answer.best.bug.id if answer.best else "-"
    print(
        f"{args.files} × {args.megapixels:g} MP PNG ({len(data) / 1e6:.1f} MB each): {answer.decision} {best} "
        f"in {seconds:.1f} s; peak RSS {before:.0f} MB warm, {after:.0f} MB after the message"
    )
    for item in answer.inputs:
        print(f"  {item.name}: {item.error or f'{len(item.text)} characters read'}")


if __name__ == "__main__":
    main()
