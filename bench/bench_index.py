"""Warm indexing rate: build the index of a knowledge folder from scratch several times with loaded models.

    .venv/bin/python -m bench.bench_index --knowledge ../shared/dev-set/knowledge [--runs 5]

Each run writes a fresh index (a new data folder) with the same loaded embedding and OCR models, and prints the
screenshots per second `supportbot index` reports (OCR and embedding, models loaded before the clock). The
median is the figure to quote: on shared cores single runs vary by ±15%.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from bot.embed import Embedder  # noqa: E402
from bot.extract import Extractor  # noqa: E402
from bot.refresh import build_refresher  # noqa: E402
from bot.settings import Settings  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--knowledge", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-index-") as work:
        base = Settings(knowledge_dir=args.knowledge, data_dir=Path(work) / "models")
        embedder, extractor = Embedder(base), Extractor(base)
        embedder.model  # noqa: B018 - export and load once, outside every run
        rates = []
        for run in range(args.runs):
            settings = base.model_copy(update={"data_dir": Path(work) / f"run-{run}"})
            report = build_refresher(settings, embedder, extractor).refresh()
            rates.append(report.screenshots_per_second or 0.0)
            print(f"run {run + 1}: {report.screenshots} screenshots, {rates[-1]:.2f}/s", flush=True)
    summary = {"screenshots_per_second": {"median": statistics.median(rates), "min": min(rates), "max": max(rates)}}
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
