"""When an ask runs past its time budget, how soon is its worker free again? (issue 11: nothing a user sends may stall
the bot)

    .venv/bin/python -m bench.abandoned_work [--budget 30]

Indexes the shipped `knowledge/` in a temporary folder and asks the engine, through the Slack layer's time budget
(`bot.slack.budget.Budget`, one worker, `--budget` seconds), one question that takes minutes to read: the full-page
capture of `bench.hostile_screens` (1280×30000 of small text). Prints when the asker was told it took too long and
when the worker was free to take the next ask (each try to take it waits up to the budget).
"""

from __future__ import annotations

import argparse
import time

from bench.hostile_screens import png, text_page
from bench.hostile_text import table_engine
from bot.records import Attachment, Query
from bot.slack.budget import Budget, TooSlow


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=30.0, help="The ask's time budget, in seconds.")
    args = parser.parse_args()
    query = Query(attachments=(Attachment("page.png", png(text_page(1280, 30000, 14))),))
    with table_engine("bench-abandoned-work-", ("budget s", "asker told after s", "worker free after s")) as matcher:
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
        print(f"| {args.budget:g} | {told} | {time.perf_counter() - started:.1f} |", flush=True)


if __name__ == "__main__":
    main()
