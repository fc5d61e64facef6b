"""The shipped knowledge base round-trips through GitHub: exported as issues, imported back, indexed, and the
example queries are answered as from the hand-written entries (the same bug first for every query, confidences within
0.05: a decision may still differ where a confidence sits on a threshold, as q16 and q18 do, 0.43 either side)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.evaluate import LabelledQuery, load_queries, summarise, to_query
from bot.index import KnowledgeIndex
from bot.knowledge import scan_knowledge
from bot.matcher import Matcher
from bot.records import Answer
from bot.refresh import build_refresher
from bot.settings import GitHubSource, Settings
from bot.sources import sync_source
from tests.fake_github import TOKEN, FakeGitHub
from tests.sources_support import export_knowledge

ROOT = Path(__file__).resolve().parent.parent
REPO = "acme/lumen-orders"


def answer_all(settings: Settings, models: dict, queries: list[LabelledQuery]) -> list[tuple[LabelledQuery, Answer]]:
    embedder, extractor = models["embedder"], models["extractor"]
    build_refresher(settings, embedder, extractor).refresh()
    matcher = Matcher(settings, embedder, extractor, KnowledgeIndex(settings, embedder.fingerprint))
    return [(item, matcher.match(to_query(item))) for item in queries]


@pytest.mark.slow
def test_shipped_knowledge_round_trips_through_github(tmp_path: Path, shared_models: dict) -> None:
    github = FakeGitHub()
    try:
        ids = export_knowledge(github, REPO, ROOT / "knowledge")
        imported = Settings(
            knowledge_dir=tmp_path / "imported", data_dir=tmp_path / "data", github_api_url=github.url,
            github_token=TOKEN,
        )  # fmt: skip
        report = sync_source(GitHubSource(repo=REPO), imported)
    finally:
        github.close()
    assert report.added == 17 and not report.media_left_out
    hand = scan_knowledge(ROOT / "knowledge").by_id()
    back = scan_knowledge(tmp_path / "imported").by_id()
    for bug_id, new_id in ids.items():
        a, b = hand[bug_id], back[new_id]
        assert (b.title, b.tags, b.symptoms, b.resolution, b.media) == (
            a.title,
            a.tags,
            a.symptoms,
            a.resolution,
            a.media,
        )
        assert b.status == ("fixed" if a.status == "fixed" else "workaround")

    queries = load_queries(ROOT / "examples" / "queries.jsonl")
    renamed = [LabelledQuery(q.id, q.text, q.files, ids.get(q.expected or ""), q.kind) for q in queries]
    from_hand = answer_all(
        Settings(knowledge_dir=ROOT / "knowledge", data_dir=tmp_path / "data"), shared_models, queries
    )
    from_import = answer_all(imported, shared_models, renamed)
    assert summarise(from_import)["recall_at_1"] == summarise(from_hand)["recall_at_1"]
    for (q, by_hand), (_, by_import) in zip(from_hand, from_import, strict=True):
        hand_first = ids.get(by_hand.best.bug.id) if by_hand.best else None
        imported_first = by_import.best.bug.id if by_import.best else None
        assert hand_first == imported_first and abs(by_hand.confidence - by_import.confidence) <= 0.05, (
            q.id,
            by_hand.confidence,
            by_import.confidence,
        )
