"""When an ask runs past its time budget, how soon is its worker free again? (issue 11: nothing a user sends may stall
the bot)

    .venv/bin/python -m bench.abandoned_work [--budget 30] [--ask page|voice]

Indexes the shipped `knowledge/` in a temporary folder and asks the engine, through the Slack layer's time budget
(`bot.slack.budget.Budget`, one worker, `--budget` seconds), one question that takes minutes to read: `page`, the
full-page capture of `bench.hostile_screens` (1280×30000 of small text), or `voice`, a voice note of just under the
5-minute limit (espeak-ng telling the shipped nginx 502 bug over and over, Opus in WebM). Prints when the asker was
told it took too long and when the worker was free to take the next ask (each try to take it waits up to the budget).
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile

from bench.hostile_screens import png, text_page
from bench.hostile_text import table_engine
from bench.voices import encode
from bot.intake import SAMPLE_RATE
from bot.records import Attachment, Query
from bot.slack.budget import Budget, TooSlow

SPOKEN = (
    "Our orders page shows 502 Bad Gateway from nginx. The error log says connect failed, connection refused, while "
    "connecting to upstream."
)


def spoken() -> np.ndarray:
    """`SPOKEN` said once by espeak-ng, as 16 kHz samples."""
    with tempfile.TemporaryDirectory() as work:
        wav = Path(work) / "said.wav"
        subprocess.run(["espeak-ng", "-s", "160", "-w", str(wav), SPOKEN], check=True)
        said, rate = soundfile.read(str(wav), dtype="float32")
    return np.interp(np.arange(0, said.size, rate / SAMPLE_RATE), np.arange(said.size), said).astype(np.float32)


def voice_note(seconds: float) -> bytes:
    """`SPOKEN` said again and again, a second apart, for `seconds`, as Opus in WebM."""
    once = np.concatenate([spoken(), np.zeros(SAMPLE_RATE, dtype=np.float32)])
    return encode(np.resize(once, int(seconds * SAMPLE_RATE)), "webm", "libopus", 48_000, 24_000)


def question(ask: str) -> Query:
    if ask == "voice":
        return Query(attachments=(Attachment("note.webm", voice_note(295)),))
    return Query(attachments=(Attachment("page.png", png(text_page(1280, 30000, 14))),))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=30.0, help="The ask's time budget, in seconds.")
    parser.add_argument("--ask", choices=("page", "voice"), default="page", help="The question that takes minutes.")
    args = parser.parse_args()
    query = question(args.ask)
    columns = ("ask", "budget s", "asker told after s", "worker free after s")
    with table_engine("bench-abandoned-work-", columns) as matcher:
        budget = Budget(threads=1, seconds=args.budget)
        started = time.perf_counter()
        try:
            budget.run(lambda: matcher.match(query))
            told = "answered in time"
        except TooSlow:
            told = f"{time.perf_counter() - started:.1f}"
        while True:
            try:
                budget.run(lambda: None)
                break
            except TooSlow:
                continue
        print(f"| {args.ask} | {args.budget:g} | {told} | {time.perf_counter() - started:.1f} |", flush=True)


if __name__ == "__main__":
    main()
