"""Refresh cost on a 1,000-entry knowledge base: unchanged (target <= 2 s) and after changing one entry.

    .venv/bin/python -m bench.bench_refresh [--entries 1000] [--screenshots 10] [--workdir DIR]

Builds a generated knowledge base (a few entries with small rendered screenshots), indexes it once,
then prints the seconds of an unchanged refresh (in this process with a fresh, unloaded model, and as a
`supportbot refresh --json` command) and the JSON report after one entry changed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from bot.embed import Embedder  # noqa: E402
from bot.extract import Extractor  # noqa: E402
from bot.refresh import build_refresher  # noqa: E402
from bot.settings import Settings  # noqa: E402

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"
PRODUCTS = ("nginx", "curl", "postgres", "python", "node", "git", "docker", "redis", "chrome", "django")
VERBS = ("refuses the connection", "times out", "crashes on start", "rejects the login", "returns 502")


def write_entry(root: Path, n: int, screenshot: bool) -> None:
    """One generated `bug.md` (and optionally a small rendered screenshot)."""
    product, verb = PRODUCTS[n % len(PRODUCTS)], VERBS[n % len(VERBS)]
    bug_id = f"gen-{n:04d}-{product}"
    folder = root / bug_id
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "bug.md").write_text(
        f'---\nid: {bug_id}\ntitle: "{product} {verb} (case {n})"\nproduct: "Lumen {product}"\n'
        f'tags: [{product}, generated]\nstatus: workaround\nlinks: ["https://example.com/{bug_id}"]\n---\n\n'
        f"## Symptoms\n\nAfter release {n % 37}, {product} {verb} with code E{n:04d} on host web-{n % 9}.\n\n"
        f"## Resolution\n\nRoll back setting S{n:04d} for {product} and restart the service.\n",
        encoding="utf-8",
    )
    if screenshot:
        image = Image.new("RGB", (480, 120), (255, 255, 255))
        draw = ImageDraw.Draw(image)
        font = ImageFont.truetype(FONT, 20)
        draw.text((12, 20), f"{product}: error E{n:04d}", font=font, fill=(20, 20, 20))
        draw.text((12, 60), f"{verb} on web-{n % 9}", font=font, fill=(20, 20, 20))
        image.save(folder / "screenshot.png")


def build_knowledge(root: Path, entries: int, screenshots: int) -> None:
    step = max(1, entries // max(1, screenshots))
    for n in range(entries):
        write_entry(root, n, screenshot=screenshots > 0 and n % step == 0 and n // step < screenshots)


def timed_refresh(settings: Settings, embedder: Embedder | None = None) -> tuple[float, dict]:
    """Wall seconds of build_refresher(...).refresh() and its report."""
    started = time.perf_counter()
    report = build_refresher(settings, embedder, Extractor(settings)).refresh().as_dict()
    return time.perf_counter() - started, report


def cli_refresh_seconds(settings: Settings) -> tuple[float, dict]:
    """Wall seconds of `supportbot refresh --json` in a new process (imports included)."""
    env = {
        **os.environ,
        "SUPPORTBOT_KNOWLEDGE_DIR": str(settings.knowledge_dir),
        "SUPPORTBOT_DATA_DIR": str(settings.data_dir),
    }
    started = time.perf_counter()
    command = [str(Path(sys.executable).parent / "supportbot"), "refresh", "--json"]
    out = subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout
    return time.perf_counter() - started, json.loads(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1000)
    parser.add_argument("--screenshots", type=int, default=10)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="bench-refresh-"))
    settings = Settings(knowledge_dir=work / "knowledge", data_dir=work / "data")
    build_knowledge(settings.knowledge_dir, args.entries, args.screenshots)
    first_seconds, first = timed_refresh(settings)
    print(f"first refresh: {first['added']} entries indexed in {first_seconds:.1f} s")
    embedder = Embedder(settings)
    unchanged_seconds, unchanged = timed_refresh(settings, embedder)
    loaded = embedder._model is not None
    print(
        f"unchanged refresh: {unchanged_seconds:.2f} s wall (report {unchanged['seconds']:.2f} s), "
        f"{unchanged['unchanged']} unchanged, model loaded: {loaded}, target <= 2 s"
    )
    cli_seconds, cli = cli_refresh_seconds(settings)
    print(f"unchanged `supportbot refresh --json` process: {cli_seconds:.2f} s wall (report {cli['seconds']:.2f} s)")
    bug = next(iter(sorted(settings.knowledge_dir.glob("*/bug.md"))))
    bug.write_text(bug.read_text().replace("restart the service", "restart the service twice"))
    changed_seconds, changed = timed_refresh(settings, embedder)
    print(f"after changing {bug.parent.name}: {changed_seconds:.2f} s wall")
    print(json.dumps(changed, indent=2))


if __name__ == "__main__":
    main()
