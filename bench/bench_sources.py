"""Tracker sync figures against the fake GitHub on 127.0.0.1 (tests/fake_github.py).

    .venv/bin/python -m bench.bench_sources [--issues 1000] [--workdir DIR]

1. Round trip: the shipped knowledge/ is exported as GitHub issues (body = symptoms + screenshots, a maintainer's
   comment = resolution), imported back with the sync, and both knowledge folders answer examples/queries.jsonl:
   prints both eval reports, recall@1 both ways and the queries whose decision differs. The imported folder and a
   queries file naming the imported ids stay in the workdir, for `supportbot eval --knowledge DIR --queries FILE`.
2. Sync cost: a repository of N issues is imported, synced again unchanged, then with one issue edited, each
   listing only the changes; then the same two with full listings: prints the requests each sync made and the
   files it wrote.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from bot.cli.quality import format_report  # noqa: E402
from bot.evaluate import LabelledQuery, load_queries, summarise, to_query  # noqa: E402
from bot.matcher import Matcher  # noqa: E402
from bot.refresh import build_refresher  # noqa: E402
from bot.settings import GitHubSource, Settings  # noqa: E402
from bot.sources import sync_source  # noqa: E402
from tests.fake_github import TOKEN, FakeGitHub  # noqa: E402
from tests.sources_support import export_knowledge  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def answer(settings: Settings, queries: list[LabelledQuery]) -> list:
    build_refresher(settings).refresh()
    matcher = Matcher.from_settings(settings)
    return [(item, matcher.match(to_query(item))) for item in queries]


def round_trip(work: Path) -> None:
    github = FakeGitHub()
    try:
        ids = export_knowledge(github, "acme/lumen-orders", ROOT / "knowledge")
        imported = Settings(
            knowledge_dir=work / "imported", data_dir=work / "data", github_api_url=github.url, github_token=TOKEN
        )
        report = sync_source(GitHubSource(repo="acme/lumen-orders"), imported)
    finally:
        github.close()
    print(f"imported {report.added} entries, {report.media} screenshots, skipped {report.skipped}")
    queries = load_queries(ROOT / "examples" / "queries.jsonl")
    renamed = [LabelledQuery(q.id, q.text, q.files, ids.get(q.expected or ""), q.kind) for q in queries]
    lines = [
        json.dumps({"id": q.id, "text": q.text, "files": [str(f.resolve()) for f in q.files], "expected": q.expected,
                    "kind": q.kind})
        for q in renamed
    ]  # fmt: skip
    (work / "queries-imported.jsonl").write_text("\n".join(lines) + "\n")
    hand = answer(Settings(knowledge_dir=ROOT / "knowledge", data_dir=work / "data"), queries)
    back = answer(imported, renamed)
    for name, results in (("hand-written knowledge/", hand), ("imported from GitHub", back)):
        print(f"\n== {name}\n{format_report(summarise(results))}")
    differ = [q.id for (q, a), (_, b) in zip(hand, back, strict=True) if a.decision != b.decision]
    print(f"\nrecall@1 hand-written {summarise(hand)['recall_at_1']}  imported {summarise(back)['recall_at_1']}")
    print(f"queries whose decision differs: {len(differ)} {differ}")
    print(f"eval the imported folder: supportbot eval --knowledge {work / 'imported'} --queries "
          f"{work / 'queries-imported.jsonl'}")  # fmt: skip


def files(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): p.stat().st_mtime_ns for p in root.rglob("*") if p.is_file()}


def sync_cost(work: Path, issues: int) -> None:
    github = FakeGitHub()
    try:
        for n in range(issues):
            github.add_issue("acme/shop", f"Error E{n:04d} on the orders page", f"The orders page shows E{n:04d}.")
        settings = Settings(knowledge_dir=work / "shop", github_api_url=github.url, github_token=TOKEN)
        full = settings.model_copy(update={"sources_full_sync_hours": 0.0})  # every sync lists everything
        runs = (
            ("first import", None, settings),
            ("unchanged", None, settings),
            ("one issue edited", issues // 2, settings),
            ("unchanged, full", None, full),
            ("one edited, full", issues // 3, full),
        )
        for label, edit, config in runs:
            if edit:
                github.edit_issue("acme/shop", edit, body="The orders page shows an error and then a blank screen.")
            before = files(settings.knowledge_dir) if settings.knowledge_dir.exists() else {}
            github.requests.clear()
            started = time.perf_counter()
            report = sync_source(GitHubSource(repo="acme/shop"), config)
            seconds = time.perf_counter() - started
            after = files(settings.knowledge_dir)
            written = sorted(name for name, mtime in after.items() if before.get(name) != mtime)
            print(
                f"{label:18s} {issues} issues, {report.listing} listing: {len(github.requests)} requests, "
                f"added {report.added}, "
                f"updated {report.updated}, unchanged {report.unchanged}, files written {len(written)} "
                f"{written if len(written) <= 3 else ''} in {seconds:.2f}s"
            )
    finally:
        github.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=1000)
    parser.add_argument("--workdir", type=Path)
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="bench-sources-"))
    work.mkdir(parents=True, exist_ok=True)
    sync_cost(work, args.issues)
    round_trip(work)


if __name__ == "__main__":
    main()
