"""Learning from feedback: learned examples in the index, negatives in the matcher, the CLI (the store itself is
tested in test_store.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.index import KnowledgeIndex
from bot.matcher import Matcher
from bot.negatives import Negatives
from bot.records import Query
from bot.settings import Settings
from bot.store import Store
from tests.support import copy_index, refresh, write_text_only_knowledge

# Wording none of the sample bugs uses, so the first answer is unsure.
VAGUE = "the little cloud icon turns red after lunch and nothing loads"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, shared_models: dict) -> Settings:
    """The sample bugs (text only: no OCR needed here) indexed once; each test works on a copy."""
    root = tmp_path_factory.mktemp("examples")
    write_text_only_knowledge(root / "knowledge")
    settings = Settings(
        knowledge_dir=root / "knowledge", data_dir=root / "data", index_name="sample", index_check_seconds=0
    )
    refresh(settings, shared_models)
    return settings


@pytest.fixture
def settings(built: Settings, tmp_path: Path) -> Settings:
    return copy_index(built, tmp_path)


def example_rows(settings: Settings, shared_models: dict) -> list[dict]:
    index = KnowledgeIndex(settings, shared_models["embedder"].fingerprint)
    return sorted((r for r in index.stored_rows() if r["kind"] == "example"), key=lambda r: r["id"])


def matcher_for(settings: Settings, shared_models: dict) -> Matcher:
    embedder = shared_models["embedder"]
    negatives = Negatives(Store.open(settings), embedder, settings.negative_similarity)
    index = KnowledgeIndex(settings, embedder.fingerprint)
    return Matcher(settings, embedder, shared_models["extractor"], index, negatives=negatives)


def test_examples_are_indexed_incrementally_and_removed(settings: Settings, shared_models: dict) -> None:
    refresh(settings, shared_models)
    store = Store.open(settings)
    inputs = [("image", "a.png", "blank page 502"), ("text", "message", "site down")]
    kept = store.add_example("nginx-502-upstream-down", inputs, {})
    dropped = store.add_example(
        "psql-role-missing", [("text", "message", "cannot log in to the database as deploy")], {}
    )
    store.add_example("no-such-bug", [("text", "message", "never indexed")], {})
    report = refresh(settings, shared_models)
    assert (report["examples_added"], report["examples_removed"], report["embedded"]) == (2, 0, [])
    rows = example_rows(settings, shared_models)
    assert [r["id"] for r in rows] == [
        f"nginx-502-upstream-down/example/{kept}/0",
        f"nginx-502-upstream-down/example/{kept}/1",
        f"psql-role-missing/example/{dropped}/0",
    ]
    assert rows[0]["source"] == f"example-{kept}/a.png"
    again = refresh(settings, shared_models)
    assert again["version"] == report["version"] and again["examples_added"] == 0, "unchanged examples: no write"
    assert dropped is not None
    store.remove_example(dropped)
    report = refresh(settings, shared_models)
    assert (report["examples_added"], report["examples_removed"]) == (0, 1)
    assert {r["bug_id"] for r in example_rows(settings, shared_models)} == {"nginx-502-upstream-down"}


def test_a_changed_bug_keeps_its_examples_without_embedding_them_again(settings: Settings, shared_models: dict) -> None:
    store = Store.open(settings)
    store.add_example("nginx-502-upstream-down", [("text", "message", "blank page with 502")], {})
    refresh(settings, shared_models)
    index = KnowledgeIndex(settings, shared_models["embedder"].fingerprint)
    before = index.stored_vectors([r["id"] for r in example_rows(settings, shared_models)])
    bug = Path(settings.knowledge_dir) / "nginx-502-upstream-down" / "bug.md"
    bug.write_text(bug.read_text().replace("app restarts", "app server restarts"))
    report = refresh(settings, shared_models)
    assert report["embedded"] == ["nginx-502-upstream-down"] and report["examples_added"] == 0
    after = index.stored_vectors(list(before))
    assert {k: v["vector"] for k, v in after.items()} == {k: v["vector"] for k, v in before.items()}


def test_a_learned_example_makes_the_next_identical_query_surer(settings: Settings, shared_models: dict) -> None:
    refresh(settings, shared_models)
    matcher = matcher_for(settings, shared_models)
    before = matcher.match(Query(text=VAGUE))
    assert before.decision != "match"
    Store.open(settings).add_example("nginx-502-upstream-down", [("text", "message", VAGUE)], {"answer_id": "a1"})
    refresh(settings, shared_models)
    after = matcher.match(Query(text=VAGUE))
    assert after.best is not None and after.best.bug.id == "nginx-502-upstream-down"
    assert after.decision == "match" and after.confidence > before.confidence
    assert after.best.evidence[0].source.startswith("example-")


def test_an_example_counts_only_for_repeats_of_its_input(settings: Settings, shared_models: dict) -> None:
    """A (here deliberately odd) confirmation must not pull merely similar queries to its bug."""
    matcher = matcher_for(settings, shared_models)
    confirmed = "every page of the shop says 502 bad gateway since this morning"
    Store.open(settings).add_example("psql-role-missing", [("text", "message", confirmed)], {})
    refresh(settings, shared_models)
    similar = matcher.match(Query(text="after we deployed every page says 502 bad gateway"))
    assert similar.best is not None and similar.best.bug.id == "nginx-502-upstream-down"
    assert all(e.source == "bug.md" for m in similar.matches for e in m.evidence)
    repeat = {m.bug.id: m for m in matcher.match(Query(text=confirmed)).matches}
    assert repeat["psql-role-missing"].evidence[0].source.startswith("example-"), "a repeat does meet the example"


def test_not_it_counts_against_that_bug_for_near_identical_queries(settings: Settings, shared_models: dict) -> None:
    """A "Not it" is a fitted feature: the bug drops in rank score and in confidence (it is no longer a sure match),
    for a query nearly identical to the rejected one only."""
    refresh(settings, shared_models)
    matcher = matcher_for(settings, shared_models)
    query = "after we deployed every page says 502 bad gateway"
    first = matcher.match(Query(text=query))
    assert first.best is not None and first.best.bug.id == "nginx-502-upstream-down"
    Store.open(settings).add_negative("nginx-502-upstream-down", query, {"answer_id": "a1"})
    again = matcher.match(Query(text=query + "!"))
    rejected = {m.bug.id: m for m in again.matches}["nginx-502-upstream-down"]
    assert rejected.features["rejected"] > 0.95 and rejected.score < first.best.score
    assert rejected.score < matcher.model.match_threshold
    assert again.decision != "match" or again.best is not None and again.best.bug.id != "nginx-502-upstream-down"
    unrelated = matcher.match(Query(text="psql says role deploy does not exist"))
    assert unrelated.best is not None and unrelated.best.bug.id == "psql-role-missing"
    assert unrelated.best.features["rejected"] == 0.0


def test_cli_lists_and_removes_examples(settings: Settings) -> None:
    store = Store.open(settings)
    kept = store.add_example("psql-role-missing", [("text", "message", "role deploy missing")], {"confirmed_by": "U1"})
    gone = store.add_example("nginx-502-upstream-down", [("text", "message", "502 everywhere")], {})
    negative = store.add_negative("curl-7-connection-refused", "curl hangs", {})
    env = {"SUPPORTBOT_DATA_DIR": str(settings.data_dir), "SUPPORTBOT_KNOWLEDGE_DIR": str(settings.knowledge_dir)}
    runner = CliRunner()
    listed = runner.invoke(main, ["examples", "list", "--json"], env=env, catch_exceptions=False)
    data = json.loads(listed.output)
    assert [e["id"] for e in data["examples"]] == [kept, gone] and data["negatives"][0]["id"] == negative
    text = runner.invoke(main, ["examples", "list"], env=env).output
    assert "role deploy missing" in text and "by U1" in text
    assert runner.invoke(main, ["examples", "remove", str(gone)], env=env).exit_code == 0
    assert runner.invoke(main, ["examples", "remove", "--negative", str(negative)], env=env).exit_code == 0
    missing = runner.invoke(main, ["examples", "remove", "999"], env=env)
    assert missing.exit_code == 1 and "examples list" in missing.output
    assert [e.id for e in store.examples()] == [kept] and store.negatives() == []
