"""How long does the asker's follow-up take late in a long thread, and how much does each answer store? (issue 11:
nothing a user sends may stall the bot; the follow-ups of docs/SLACK.md)

    .venv/bin/python -m bench.long_thread [--follow-ups 60] [--chars 1000] [--limit 8]

Indexes the shipped `knowledge/` in a temporary folder and plays one thread as the responder reads it: the question
(a real nginx error log, the shipped 502 bug), then `--follow-ups` messages of `--chars` characters each (a pasted
paragraph of other words), each read with the inputs of the answer before it (`context_inputs`) and stored as the
next answer. Played twice: with every earlier input (a limit no thread reaches) and with `--limit`. Prints, at
follow-ups 1, 10, 30 and the last, the inputs read, the seconds the answer took, the stored answer's inputs in KB,
the decision and the bug first.
"""

from __future__ import annotations

import argparse
import random
import sys

from bench.hostile_screens import words
from bench.hostile_text import ERROR_LOG, cells, table_engine, timed
from bot.records import Query
from bot.slack.follow_ups import context_inputs
from bot.store import answer_record

WHERE = {"source": "message", "channel": "C1", "user": "U1"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--follow-ups", type=int, default=60, help="Follow-ups after the question.")
    parser.add_argument("--chars", type=int, default=1000, help="Characters of each follow-up.")
    parser.add_argument("--limit", type=int, default=8, help="Earlier inputs a follow-up is read with.")
    args = parser.parse_args()
    shown = {1, 10, 30, args.follow_ups}
    columns = ("earlier inputs read", "follow-up", "inputs read", "seconds", "stored KB", "decision", "first bug")
    with table_engine("bench-long-thread-", columns) as matcher:
        for limit, label in ((sys.maxsize, "all"), (args.limit, f"at most {args.limit}")):
            rng = random.Random(4)
            record = answer_record(matcher.match(Query(text=ERROR_LOG)), "a0", **WHERE)
            for n in range(1, args.follow_ups + 1):
                context = context_inputs(record, limit)
                query = Query(text=words(rng, args.chars // 6)[: args.chars], context=context)
                seconds, answer = timed(matcher, query, 600)
                if answer is None:
                    print(f"| {label} | {n} | {len(context) + 1} | stopped after {seconds:.0f} | - | - | - |")
                    break
                record = answer_record(answer, f"a{n}", **WHERE)
                if n in shown:
                    took, decision, best = cells(seconds, answer)
                    stored = sum(len(i.text.encode()) for i in record.inputs) / 1024
                    print(f"| {label} | {n} | {len(context) + 1} | {took} | {stored:.0f} | {decision} | {best} |")


if __name__ == "__main__":
    main()
