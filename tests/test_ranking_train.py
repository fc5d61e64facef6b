"""bot.ranking.train and `supportbot train-reranker`: a CrossEncoder trained offline on the knowledge base's own
text, labelled queries and feedback, used as the reranker."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.ranking.train import knowledge_questions, pairs_for
from bot.records import Answer, KnownBug, Match


def bug(bug_id: str) -> KnownBug:
    return KnownBug(bug_id, f"title of {bug_id}", "shop", (), "open", (), f"symptoms of {bug_id}", "", "", "")


def test_each_question_is_paired_with_its_bug_and_the_wrong_ones_the_engine_found() -> None:
    bugs = {b: bug(b) for b in ("a", "b", "c")}
    texts = {"a": [("doc", "about a"), ("ocr", "screen of a")], "b": [("doc", "about b")], "c": []}
    assert knowledge_questions(texts, bugs) == [
        ("screen of a", "a"),
        ("title of a", "a"),
        ("title of b", "b"),
        ("title of c", "c"),
    ]
    answer = Answer("uncertain", 0.5, tuple(Match(bugs[b], 0.5) for b in ("b", "a", "c")), ())
    pairs = pairs_for("screen of a", "a", answer, bugs)
    assert [(p.document, p.label) for p in pairs] == [
        (bugs["a"].doc_text, 1.0),
        (bugs["b"].doc_text, 0.0),
        (bugs["c"].doc_text, 0.0),
    ]
    assert all(p.label == 0.0 for p in pairs_for("not in the base", None, answer, bugs))


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory, sample_knowledge: Path) -> dict[str, str]:
    data = tmp_path_factory.mktemp("train-data")
    return {"SUPPORTBOT_DATA_DIR": str(data), "SUPPORTBOT_KNOWLEDGE_DIR": str(sample_knowledge)}


def test_train_reranker_saves_a_cross_encoder_the_setting_uses(
    env: dict[str, str], tmp_path: Path, tiny_cross_encoder: Path
) -> None:
    queries = tmp_path / "q.jsonl"
    rows = [
        {"id": "1", "text": "every page says 502 bad gateway", "expected": "nginx-502-upstream-down", "kind": "text"},
        {"id": "2", "text": "how do I export invoices", "expected": None, "kind": "out-of-kb"},
    ]
    queries.write_text("\n".join(json.dumps(r) for r in rows))
    out = tmp_path / "reranker"
    runner = CliRunner()
    args = ["train-reranker", "--base", str(tiny_cross_encoder), "--queries", str(queries), "--out", str(out), "--json"]
    result = runner.invoke(main, args, env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["positive"] >= 5 + 5 + 1 and report["negative"] > report["positive"]  # titles, screens, query
    assert (out / "config.json").is_file()

    from sentence_transformers import CrossEncoder

    trained, untrained = CrossEncoder(str(out)), CrossEncoder(str(tiny_cross_encoder))
    pair = [("502 bad gateway", "nginx 502 bad gateway after deploy")]
    assert trained.predict(pair)[0] != pytest.approx(untrained.predict(pair)[0])

    using = {**env, "SUPPORTBOT_RERANK_MODEL": str(out)}
    asked = runner.invoke(main, ["ask", "--json", "--text", "psql says role deploy does not exist"], env=using)
    assert asked.exit_code == 0 and json.loads(asked.stdout)["matches"]
