"""Learning from feedback: the example store, examples in the index, negatives in the matcher, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.examples import ExampleInput, ExampleNotFound, ExampleStore, Negatives, learn_from_feedback
from bot.feedback import AnswerRecord, CandidateRecord, InputRecord
from bot.index import KnowledgeIndex
from bot.matcher import Matcher
from bot.records import Query
from bot.settings import Settings
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
    negatives = Negatives(ExampleStore(settings), embedder, settings.negative_similarity)
    index = KnowledgeIndex(settings, embedder.fingerprint)
    return Matcher(settings, embedder, shared_models["extractor"], index, negatives=negatives)


def record(bug_id: str | None, texts: list[str], decision: str = "uncertain") -> AnswerRecord:
    inputs = tuple(InputRecord(f"in{n}.png", "image", t) for n, t in enumerate(texts))
    candidates = (CandidateRecord(bug_id, "title", 0.6),) if bug_id else ()
    return AnswerRecord("a1", "message", "C1", "U1", decision, 0.6, inputs, candidates, message_ts="1.2")


def test_store_adds_lists_dedupes_and_removes(settings: Settings) -> None:
    store = ExampleStore(settings)
    shot = ("image", "shot.png", "curl: (7) refused", b"\x89PNG")
    first = store.add("curl-7-connection-refused", [shot], {"by": "U1"})
    again = store.add("curl-7-connection-refused", [ExampleInput(*shot)], {"by": "U2"})
    other = store.add("psql-role-missing", [("text", "message", "role deploy missing")], {})
    assert first is not None and again == first and other != first
    assert store.add("psql-role-missing", [("text", "message", "  ")], {}) is None
    listed = store.list()
    assert [e.id for e in listed] == [first, other]
    assert listed[0].inputs[0].image == b"\x89PNG" and listed[0].provenance == {"by": "U1"}
    store.remove(first)
    assert [e.bug_id for e in store.list()] == ["psql-role-missing"]
    with pytest.raises(ExampleNotFound):
        store.remove(first)
    assert str(settings.data_dir) in str(store.path) and not str(store.path).startswith(str(settings.knowledge_dir))


def test_feedback_becomes_an_example_or_a_negative(settings: Settings) -> None:
    store = ExampleStore(settings)
    fixed = learn_from_feedback(store, record("nginx-502-upstream-down", ["502 Bad Gateway", ""]), "fixed", "U9")
    assert fixed is not None
    example = store.list()[0]
    assert [i.text for i in example.inputs] == ["502 Bad Gateway"]
    assert example.provenance["answer_id"] == "a1" and example.provenance["confirmed_by"] == "U9"
    negative = learn_from_feedback(store, record("psql-role-missing", ["role x", "gone"]), "not_it", "U9")
    assert negative is not None and store.negatives()[0].query_text == "role x\ngone"
    assert learn_from_feedback(store, record(None, ["x"], "no_match"), "fixed", "U9") is None
    closest = learn_from_feedback(store, record("psql-role-missing", ["role y"], "no_match"), "fixed", "U9")
    assert closest is not None, "a no_match reply names the closest bug, and its buttons count"
    assert learn_from_feedback(store, record("psql-role-missing", ["x"]), "escalated", "U9") is None


def test_examples_are_indexed_incrementally_and_removed(settings: Settings, shared_models: dict) -> None:
    refresh(settings, shared_models)
    store = ExampleStore(settings)
    inputs = [("image", "a.png", "blank page 502"), ("text", "message", "site down")]
    kept = store.add("nginx-502-upstream-down", inputs, {})
    dropped = store.add("psql-role-missing", [("text", "message", "cannot log in to the database as deploy")], {})
    store.add("no-such-bug", [("text", "message", "never indexed")], {})
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
    store.remove(dropped)
    report = refresh(settings, shared_models)
    assert (report["examples_added"], report["examples_removed"]) == (0, 1)
    assert {r["bug_id"] for r in example_rows(settings, shared_models)} == {"nginx-502-upstream-down"}


def test_a_changed_bug_keeps_its_examples_without_embedding_them_again(settings: Settings, shared_models: dict) -> None:
    store = ExampleStore(settings)
    store.add("nginx-502-upstream-down", [("text", "message", "blank page with 502")], {})
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
    ExampleStore(settings).add("nginx-502-upstream-down", [("text", "message", VAGUE)], {"answer_id": "a1"})
    refresh(settings, shared_models)
    after = matcher.match(Query(text=VAGUE))
    assert after.best is not None and after.best.bug.id == "nginx-502-upstream-down"
    assert after.decision == "match" and after.confidence > before.confidence
    assert after.best.evidence[0].source.startswith("example-")


def test_an_example_counts_only_for_repeats_of_its_input(settings: Settings, shared_models: dict) -> None:
    """A (here deliberately odd) confirmation must not pull merely similar queries to its bug."""
    matcher = matcher_for(settings, shared_models)
    confirmed = "every page of the shop says 502 bad gateway since this morning"
    ExampleStore(settings).add("psql-role-missing", [("text", "message", confirmed)], {})
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
    ExampleStore(settings).add_negative("nginx-502-upstream-down", query, {"answer_id": "a1"})
    again = matcher.match(Query(text=query + "!"))
    rejected = {m.bug.id: m for m in again.matches}["nginx-502-upstream-down"]
    assert rejected.features["rejected"] > 0.95 and rejected.score < first.best.score
    assert rejected.score < matcher.model.match_threshold
    assert again.decision != "match" or again.best is not None and again.best.bug.id != "nginx-502-upstream-down"
    unrelated = matcher.match(Query(text="psql says role deploy does not exist"))
    assert unrelated.best is not None and unrelated.best.bug.id == "psql-role-missing"
    assert unrelated.best.features["rejected"] == 0.0


def test_cli_lists_and_removes_examples(settings: Settings) -> None:
    store = ExampleStore(settings)
    kept = store.add("psql-role-missing", [("text", "message", "role deploy missing")], {"confirmed_by": "U1"})
    gone = store.add("nginx-502-upstream-down", [("text", "message", "502 everywhere")], {})
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
    assert [e.id for e in store.list()] == [kept] and store.negatives() == []
