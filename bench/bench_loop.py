"""Benchmark the support loop in Slack: the real bolt app (HTTP mode) against the fake Slack on 127.0.0.1.

1. Triage link: a screenshot is posted, answered, escalated; the triager links it to its bug from the search
   select. Seconds from the click to the answer in the asker's thread (target: 3 s).
2. New known bug: some bugs are held out of the knowledge base. For each, one of its screenshots is posted,
   escalated and filed with the prefilled "New known bug" form; the scheduled refresh runs (60 s interval,
   asked for at once by the filing). Seconds from the submission to the new bug being in the index, and the
   decision when the same screenshot is posted again (target: `match` with the new bug, within 60 s) — and for
   the bug's other screenshots in the query set, which the form never saw.

    HF_HUB_OFFLINE=1 .venv/bin/python bench/bench_loop.py            # dev set if ../shared/dev-set exists
    .venv/bin/python bench/bench_loop.py --knowledge knowledge --queries examples/queries.jsonl --links 5
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_slack import MIME, percentile  # noqa: E402
from bot.embed import Embedder  # noqa: E402
from bot.evaluate import LabelledQuery, load_queries  # noqa: E402
from bot.extract import Extractor  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.slack.blocks import TRIAGE_SEARCH  # noqa: E402
from tests.fake_slack import FakeSlack, message_event  # noqa: E402
from tests.loop_support import LoopBot, escalate, link, open_new_bug, start_loop_bot, submit  # noqa: E402
from tests.test_slack_app import blocks_text  # noqa: E402

DEV_SET = ROOT.parent / "shared" / "dev-set"
WAIT = 120.0


class Poster:
    """Posts labelled screenshot queries as Slack messages and waits for the bot's reply."""

    def __init__(self, loop: LoopBot) -> None:
        self.loop = loop
        self.fake: FakeSlack = loop.bot.fake
        self.count = 0

    def post(self, query: LabelledQuery, channel: str) -> tuple[str, dict[str, Any]]:
        """Post the query's screenshot in a new thread; (thread ts, the reply)."""
        self.count += 1
        ts = f"{1000 + self.count}.000100"
        path = query.files[0]
        file = self.fake.add_file(
            f"F{self.count:05d}", path.name, path.read_bytes(), MIME.get(path.suffix.lower(), "image/png")
        )
        self.loop.bot.sender.event(message_event(channel, ts, query.text, user=f"U{self.count:05d}", files=[file]))
        return ts, self.loop.bot.reply(channel, ts)


def decision_of(reply: dict[str, Any]) -> str:
    text = blocks_text(reply)
    return "match" if "This looks like a known bug" in text else "uncertain" if "not sure" in text else "no_match"


def shown_bug(reply: dict[str, Any], bug_ids: list[str]) -> str | None:
    text = blocks_text(reply)
    return next((b for b in bug_ids if f"`{b}`" in text), None)


def links(loop: LoopBot, poster: Poster, queries: list[LabelledQuery]) -> list[float]:
    """Click-to-answer seconds for linking each query's case to its labelled bug."""
    seconds = []
    for n, query in enumerate(queries):
        assert query.expected is not None
        ts, _ = poster.post(query, "CLINK")
        case = escalate(loop.bot, "CLINK", ts, f"U{poster.count:05d}")
        seconds.append(link(loop.bot, case, query.expected, TRIAGE_SEARCH, key=f"link-{n}"))
    return seconds


def file_new_bug(loop: LoopBot, poster: Poster, bug_id: str, shots: list[LabelledQuery]) -> dict[str, Any]:
    """Post one screenshot of a held-out bug, file it as new, and ask again with it and the bug's other shots."""
    fake, bot = poster.fake, loop.bot
    ts, first = poster.post(shots[0], "CNEW")
    case = escalate(bot, "CNEW", ts, f"U{poster.count:05d}")
    view = open_new_bug(bot, case)
    new_id = next(b["element"]["initial_value"] for b in view["blocks"] if b["block_id"] == "id")
    submitted = time.monotonic()
    assert submit(bot, view) == {}
    catalog = bot.slack.triage.catalog
    assert catalog is not None
    fake.wait_for(lambda: catalog.bugs([new_id]), WAIT, "the new bug indexed")
    indexed = time.monotonic() - submitted
    answers = []
    for shot in shots:
        _, reply = poster.post(shot, "CAGAIN")
        answers.append((decision_of(reply), shown_bug(reply, [new_id])))
    return {"bug": bug_id, "new_id": new_id, "first": decision_of(first), "indexed": indexed, "again": answers}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--knowledge", type=Path, default=DEV_SET / "knowledge")
    parser.add_argument("--queries", type=Path, default=DEV_SET / "queries.jsonl")
    parser.add_argument("--links", type=int, default=20, help="triage links to time")
    parser.add_argument("--held-out", type=int, default=3, help="bugs held out and filed as new")
    args = parser.parse_args()

    shots = [q for q in load_queries(args.queries) if q.files and q.expected and q.files[0].suffix != ".m4a"]
    by_bug: dict[str, list[LabelledQuery]] = {}
    for query in shots:
        by_bug.setdefault(str(query.expected), []).append(query)
    held = sorted(b for b, found in by_bug.items() if len(found) >= 2)[: args.held_out]
    work = Path(tempfile.mkdtemp(prefix="bench-loop-"))
    kb = Path(shutil.copytree(args.knowledge, work / "knowledge"))
    for bug_id in held:
        shutil.rmtree(kb / bug_id)
    fake = FakeSlack()
    settings = Settings(data_dir=work / "data")
    models = {"embedder": Embedder(settings), "extractor": Extractor(settings)}
    started = time.monotonic()
    loop = start_loop_bot(fake, kb, work / "data", models, scheduled=True, refresh_interval_seconds=60)
    print(f"{len(list(kb.iterdir()))} bugs indexed in {time.monotonic() - started:.1f}s; held out: {', '.join(held)}")
    poster = Poster(loop)
    try:
        seconds = links(loop, poster, [q for q in shots if q.expected not in held][: args.links])
        print(
            f"triage link, click → answer in the asker's thread ({len(seconds)} links): "
            f"p50 {percentile(seconds, 50):.3f} s, p95 {percentile(seconds, 95):.3f} s, max {max(seconds):.3f} s"
        )
        for bug_id in held:
            result = file_new_bug(loop, poster, bug_id, by_bug[bug_id])
            same, others = result["again"][0], result["again"][1:]
            print(
                f"new bug {bug_id} (filed as {result['new_id']}): first answer {result['first']}; indexed "
                f"{result['indexed']:.1f} s after the submission; the same screenshot again: {same[0]}"
                f"{' with it' if same[1] else ' (not it)'}; its {len(others)} other screenshots: "
                + ", ".join(f"{d}{'' if b else ' (not it)'}" for d, b in others)
            )
    finally:
        loop.close()
        fake.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
