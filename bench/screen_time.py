"""Where the time of reading a screen goes: the fast OCR engine's passes against the accurate one's second looks.

    .venv/bin/python -m bench.screen_time --queries "$C/queries.jsonl" --kinds desktop-4k,desktop-hidpi [--slowest 10]

Each query's first image (screenshots of the named kinds, as `bench.captures` or `make_wild.py` write them) is read
by the engine's own `ScreenReader`, its engines loaded once and warmed on the first image; the clock runs around the
reading only (decoding is not counted). Prints p50/p95 of the reading, the mean seconds in each engine, and the
slowest readings with their engines' calls and pixels. Then, for each size read, a blank screen of that size: what
the fast engine's detection alone costs, with nothing to recognise, at one thread and at the configured threads.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bot.evaluate import percentiles  # noqa: E402
from bot.extract.ocr import TextBox, TextReader, load_reader  # noqa: E402
from bot.extract.screen import DETECT_PIXELS, ScreenReader, read_tiles  # noqa: E402
from bot.settings import Settings  # noqa: E402


@dataclass
class Timed:
    """An OCR engine that counts its calls, their seconds and the pixels they were given."""

    engine: TextReader
    seconds: float = 0.0
    calls: int = 0
    pixels: int = 0

    def read(self, image: Any) -> list[TextBox]:
        start = time.perf_counter()
        boxes = self.engine.read(image)
        self.seconds += time.perf_counter() - start
        self.calls += 1
        self.pixels += image.width * image.height
        return boxes

    def reset(self) -> None:
        self.seconds, self.calls, self.pixels = 0.0, 0, 0

    def summary(self) -> str:
        return f"{self.seconds:.2f} s ({self.calls} calls, {self.pixels / 1e6:.1f} MP)"


def detection_alone(settings: Settings, size: tuple[int, int]) -> dict[str, float]:
    """Seconds the fast engine takes on a blank screen of `size` (best of three), per thread count."""
    from PIL import Image

    blank = Image.new("RGB", size, (240, 240, 240))
    out = {}
    for threads in sorted({1, settings.threads}):
        engine = load_reader(settings.ocr_engine, threads)
        read_tiles(engine, blank, DETECT_PIXELS)
        runs = []
        for _ in range(3):
            start = time.perf_counter()
            read_tiles(engine, blank, DETECT_PIXELS)
            runs.append(time.perf_counter() - start)
        out[f"{threads} thread{'s' if threads > 1 else ''}"] = round(min(runs), 3)
    return out


def main() -> None:
    from PIL import Image

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=Path, required=True, help="a queries.jsonl (files relative to it)")
    parser.add_argument("--kinds", required=True, help="comma-separated query kinds to read")
    parser.add_argument("--slowest", type=int, default=10, help="how many of the slowest readings to show")
    args = parser.parse_args()
    settings = Settings()
    kinds = set(args.kinds.split(","))
    lines = args.queries.read_text().splitlines()
    queries = [q for q in map(json.loads, lines) if q["kind"] in kinds and q.get("files")]
    if not queries:
        raise SystemExit(f"No query of the kinds {sorted(kinds)} in {args.queries}.")
    fast = Timed(load_reader(settings.ocr_engine, settings.threads))
    fine = Timed(load_reader(settings.ocr_engine, settings.threads, fine=True))
    reader = ScreenReader(fast, fine)
    root = args.queries.parent
    reader.read(Image.open(root / queries[0]["files"][0]).convert("RGB"))  # warm both engines
    readings, sizes = [], set()
    for query in queries:
        image = Image.open(root / query["files"][0]).convert("RGB")
        sizes.add(image.size)
        fast.reset()
        fine.reset()
        start = time.perf_counter()
        reader.read(image)
        total = time.perf_counter() - start
        readings.append((total, query["id"], fast.seconds, fine.seconds, fast.summary(), fine.summary()))
    spread = percentiles([r[0] * 1000 for r in readings])  # as `supportbot eval` computes its p50 and p95
    print(f"{len(readings)} screens: reading p50 {spread['p50'] / 1000:.2f} s, p95 {spread['p95'] / 1000:.2f} s")
    print(
        f"mean per screen: fast engine {statistics.mean(r[2] for r in readings):.2f} s, "
        f"accurate engine {statistics.mean(r[3] for r in readings):.2f} s, "
        f"the rest {statistics.mean(r[0] - r[2] - r[3] for r in readings):.2f} s"
    )
    for total, query_id, _, _, fast_summary, fine_summary in sorted(readings, reverse=True)[: args.slowest]:
        print(f"  {query_id}: {total:.2f} s; fast {fast_summary}; accurate {fine_summary}")
    for size in sorted(sizes, reverse=True)[:3]:
        print(f"blank {size[0]}x{size[1]}, fast engine detection alone: {detection_alone(settings, size)}")


if __name__ == "__main__":
    main()
