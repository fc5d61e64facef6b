"""bot.ranking.train and `supportbot train-reranker`: a CrossEncoder trained offline on the knowledge base's own
text, labelled queries and feedback, used as the reranker."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.errors import ModelError
from bot.ranking.train import (
    MIN_CHECK,
    MIN_STEPS,
    Pair,
    check,
    knowledge_questions,
    pairs_for,
    passes,
    split,
    train_cross_encoder,
)
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


def questions(count: int) -> list[Pair]:
    """`count` questions, each paired with its own bug (which repeats its words) and two wrong ones."""
    pairs = []
    for n in range(count):
        words = f"error {n} in service {n * 7} on host {n * 13}"
        pairs.append(Pair(words, f"known bug: {words}", 1.0))
        pairs += [Pair(words, f"known bug: error {m} elsewhere", 0.0) for m in (n + 101, n + 202)]
    return pairs


def overlap(batch: list[tuple[str, str]]) -> list[float]:
    """Scores a pair by the words its question and document share."""
    return [float(len(set(q.split()) & set(d.split()))) for q, d in batch]


def test_one_question_in_eight_is_held_out_whole_once_there_are_enough() -> None:
    few = questions(MIN_CHECK - 1)
    assert split(few) == (few, [])
    many = questions(80)
    training, held = split(many)
    assert held and training and len(training) + len(held) == len(many)
    assert {p.query for p in training}.isdisjoint({p.query for p in held})  # a question's pairs stay together
    assert split(many) == (training, held)  # the same questions every run


def test_the_check_counts_the_held_out_questions_whose_own_bug_is_scored_first() -> None:
    held = questions(20)
    learned = check(held, overlap)
    assert learned is not None and learned.questions == 20
    assert learned.first == 1.0 and learned.chance == pytest.approx(1 / 3)
    constant = check(held, lambda batch: [0.5] * len(batch))
    assert constant is not None and constant.first == 0.0  # a tie is not first
    assert check([p for p in held if p.label], overlap) is None  # no wrong bug to rank against


def test_training_runs_enough_passes_for_the_minimum_steps_unless_told() -> None:
    assert passes(1458, 3) == 3
    assert passes(1458, None) == 5  # 92 steps of 16 pairs a pass: 5 passes make at least 400 steps
    assert passes(10, None) == MIN_STEPS  # one step a pass


def test_a_model_that_cannot_tell_the_bugs_apart_is_refused_and_not_saved(
    tiny_cross_encoder: Path, tmp_path: Path
) -> None:
    pairs = [Pair(p.query, "the same description for every bug", p.label) for p in questions(40)]
    out = tmp_path / "reranker"
    with pytest.raises(ModelError, match="learned nothing usable"):
        train_cross_encoder(pairs, str(tiny_cross_encoder), out, epochs=1)
    assert not out.exists()


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
    args = ["train-reranker", "--base", str(tiny_cross_encoder), "--queries", str(queries), "--out", str(out)]
    result = runner.invoke(main, [*args, "--epochs", "2", "--json"], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["positive"] >= 5 + 5 + 1 and report["negative"] > report["positive"]  # titles, screens, query
    assert report["epochs"] == 2 and report["held_out"] is None  # too few questions to hold some out
    assert (out / "config.json").is_file() and not (out / "checkpoints").exists()  # only the model is kept

    from sentence_transformers import CrossEncoder

    trained, untrained = CrossEncoder(str(out)), CrossEncoder(str(tiny_cross_encoder))
    pair = [("502 bad gateway", "nginx 502 bad gateway after deploy")]
    assert trained.predict(pair)[0] != pytest.approx(untrained.predict(pair)[0])

    using = {**env, "SUPPORTBOT_RERANK_MODEL": str(out)}
    asked = runner.invoke(main, ["ask", "--json", "--text", "psql says role deploy does not exist"], env=using)
    assert asked.exit_code == 0 and json.loads(asked.stdout)["matches"]
