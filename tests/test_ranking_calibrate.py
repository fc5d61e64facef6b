"""bot.ranking.calibrate: the models, thresholds and regularisation fit on labelled answers, judged by family."""

from __future__ import annotations

import random

from bot.evaluate import LabelledQuery
from bot.ranking.calibrate import Targets, by_family, calibrate, fit, samples
from bot.ranking.model import FitInfo, parse_model
from bot.records import Answer, KnownBug, Match

INFO = FitInfo("some/embedder", "faster-paddle", "tiny.en", "synthetic/queries.jsonl", "2026-01-01")
FAMILIES = ("alpha", "beta", "gamma", "delta")


def known(bug_id: str) -> KnownBug:
    return KnownBug(bug_id, bug_id, "shop", (), "open", (), "", "", "", "")


def answer(bugs: list[str], features: list[dict[str, float]]) -> Answer:
    pairs = enumerate(zip(bugs, features, strict=True))
    matches = tuple(Match(known(b), 0.0, (), {**f, "first": float(n == 0)}) for n, (b, f) in pairs)
    return Answer("uncertain", 0.0, matches, ())


def labelled_set(seed: int = 7, n: int = 320) -> list[tuple[LabelledQuery, Answer]]:
    """Fusion puts the right bug first 70% of the time; otherwise it is second, and its words (coverage) give it away.
    Out-of-KB queries have candidates that cover little of what was said."""
    rng = random.Random(seed)
    results = []
    for i in range(n):
        family = FAMILIES[i % len(FAMILIES)]
        bugs = [f"{family}-{rng.randrange(5)}-a", f"{family}-{rng.randrange(5)}-b"]
        right = {"dense": rng.uniform(0.5, 0.8), "coverage": rng.uniform(0.7, 1.0)}
        wrong = {"dense": rng.uniform(0.4, 0.7), "coverage": rng.uniform(0.0, 0.4)}
        if i % 5 == 4:  # out of the knowledge base: nothing is right
            results.append((LabelledQuery(f"q{i}", "", (), None, "out-of-kb"), answer(bugs, [wrong, dict(wrong)])))
            continue
        fused_first = rng.random() < 0.7
        order = [right, wrong] if fused_first else [wrong, right]
        results.append((LabelledQuery(f"q{i}", "", (), bugs[0 if fused_first else 1], "text"), answer(bugs, order)))
    return results


def test_the_ranking_overrules_fusion_on_evidence_and_the_model_file_round_trips() -> None:
    fitted = calibrate(labelled_set(), INFO, Targets(precision=0.95, max_no_match=0.1))
    model = fitted.model
    assert "first" not in model.ranking and model.ranking["coverage"] > 0
    wrong_first = {"dense": 0.6, "coverage": 0.2, "first": 1.0}
    right_second = {"dense": 0.58, "coverage": 0.9, "first": 0.0}
    assert model.rank_score(right_second) > model.rank_score(wrong_first)
    assert model.probability(right_second) > model.probability({**wrong_first, "first": 0.0})
    assert 0.0 <= model.uncertain_threshold <= model.match_threshold <= 1.0
    assert parse_model(model.to_json(), "a file") == model.__class__(**{**model.__dict__, "source": "a file"})
    assert set(fitted.figures) == {"fit", "grouped_cv"}
    assert fitted.figures["fit"]["recall_at_1"] > 0.9 and fitted.figures["grouped_cv"]["recall_at_1"] > 0.9
    assert model.fit.l2 and model.fit.figures == fitted.figures


def test_test_sets_are_measured_with_the_fitted_model() -> None:
    fitted = calibrate(labelled_set(), INFO, tests={"other": labelled_set(seed=8, n=60)})
    assert fitted.figures["test other"]["queries"] == 60


def test_each_family_is_answered_by_a_model_that_never_saw_it() -> None:
    items = samples(labelled_set(), ("dense", "coverage", "first"))
    seen: list[set[str]] = []

    def fit_and_note(train: list) -> object:
        seen.append({s.family for s in train})
        return fit(train, ("dense", "coverage", "first"), (1.0, 1.0))

    answers = by_family(items, fit_and_note)  # type: ignore[arg-type]
    assert set(answers) == {s.id for s in items}
    assert len(seen) == len(FAMILIES) and all(len(families & set(FAMILIES)) == len(FAMILIES) - 1 for families in seen)
    out_of_kb = [s for s in items if s.expected is None]
    assert out_of_kb and all(s.family.startswith("out-of-kb near ") for s in out_of_kb)


def test_not_it_is_a_fitted_feature_that_demotes_and_lowers_confidence() -> None:
    model = calibrate(labelled_set(), INFO).model
    assert model.ranking["rejected"] < 0 and model.confidence["rejected"] < 0
    shown = {"dense": 0.7, "coverage": 0.8, "first": 1.0}
    assert model.probability({**shown, "rejected": 1.0}) < model.probability(shown)
