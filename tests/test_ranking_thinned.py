"""bot.ranking.thinned and calibrate's thinned samples: labelled answers replayed against a knowledge base that keeps
one bug per family, their features computed again."""

from __future__ import annotations

import pytest

from bot.evaluate import LabelledQuery
from bot.ranking.calibrate import THINNED, Targets, calibrate, thinned_samples
from bot.ranking.features import QueryText, Scoring, feature_vectors
from bot.ranking.model import FitInfo
from bot.ranking.stats import KnowledgeStats
from bot.ranking.thinned import one_per_family, thinned_answer, thinned_stats
from bot.records import Answer, Candidate, KnownBug, Match, QueryInput, TextLine

TEXTS = {
    "psql-connection-refused": [
        ("doc", "psql: connection to server failed: Connection refused. Is the server running?")
    ],
    "psql-password-failed": [("doc", "psql: FATAL: password authentication failed for user app")],
    "psql-role-missing": [("doc", 'psql: FATAL: role "app" does not exist')],
    "git-detached-head": [("doc", "git: You are in 'detached HEAD' state after checking out a tag")],
}
NAMES = ("dense", "dense_margin", "coverage", "explained", "told", "legible", "codes_shared", "first")
QUESTION = (QueryInput("shot.png", "image", lines=(TextLine("psql: FATAL: password authentication failed", 0.9),)),)
FUSED = {
    "psql-password-failed": 0.81,
    "psql-role-missing": 0.74,
    "psql-connection-refused": 0.70,
    "git-detached-head": 0.31,
}


def answer_of(stats: KnowledgeStats) -> Answer:
    """The engine's answer to QUESTION over the whole knowledge base: candidates in fused order, features computed."""
    candidates = [Candidate(bug, 0.0, {"dense": dense}) for bug, dense in FUSED.items()]
    query = QueryText.of(QUESTION)
    vectors = feature_vectors(Scoring(candidates, query, stats), [n for n in NAMES if n != "first"])
    matches = tuple(
        Match(
            KnownBug(c.bug_id, c.bug_id, "db", (), "open", (), "", "", "", ""), 0.0, (), {**v, "first": float(i == 0)}
        )
        for i, (c, v) in enumerate(zip(candidates, vectors, strict=True))
    )
    return Answer("match", 0.9, matches, QUESTION)


def test_one_bug_of_each_family_is_kept_the_same_for_a_draw() -> None:
    kept = one_per_family(TEXTS, 0)
    assert len(kept) == 2 and "git-detached-head" in kept
    assert len(kept & {"psql-connection-refused", "psql-password-failed", "psql-role-missing"}) == 1
    assert one_per_family(TEXTS, 0) == kept
    assert len({one_per_family(TEXTS, draw) for draw in range(12)}) == 3  # each psql bug is drawn sometimes


def test_keeping_every_bug_gives_the_engines_features_back() -> None:
    stats = KnowledgeStats(TEXTS)
    engine = answer_of(stats)
    replayed = thinned_answer(engine, frozenset(TEXTS), thinned_stats(TEXTS, frozenset(TEXTS)), NAMES)
    assert [m.bug.id for m in replayed.matches] == [m.bug.id for m in engine.matches]
    for mine, theirs in zip(replayed.matches, engine.matches, strict=True):
        assert mine.features == pytest.approx(theirs.features)


def test_a_lone_relative_leads_by_far_and_the_words_are_weighed_by_the_thinned_knowledge_base() -> None:
    keep = frozenset({"psql-connection-refused", "git-detached-head"})
    engine = answer_of(KnowledgeStats(TEXTS))
    replayed = thinned_answer(engine, keep, thinned_stats(TEXTS, keep), NAMES)
    first, second = replayed.matches
    assert (first.bug.id, second.bug.id) == ("psql-connection-refused", "git-detached-head")
    assert (first.features["first"], second.features["first"]) == (1.0, 0.0)
    # beside its two dropped relatives it trailed; alone, it leads the unrelated bug by far
    engine_margin = next(m for m in engine.matches if m.bug.id == "psql-connection-refused").features["dense_margin"]
    assert engine_margin == pytest.approx(0.70 - 0.81)
    assert first.features["dense_margin"] == pytest.approx(0.70 - 0.31)
    # the nearest bug beyond the shortlist is taken to be as near as the least near listed one, never nearer
    assert second.features["dense_margin"] == pytest.approx(0.31 - 0.70)
    # each word is weighed by the bugs left: those only its dropped relatives had ("password") count as unseen
    engine_explained = next(m for m in engine.matches if m.bug.id == "psql-connection-refused").features["explained"]
    assert first.features["explained"] < engine_explained


def test_the_lead_counts_the_unlisted_bugs_as_near_as_the_least_near_listed_one() -> None:
    keep = frozenset({"psql-role-missing"})
    replayed = thinned_answer(answer_of(KnowledgeStats(TEXTS)), keep, thinned_stats(TEXTS, keep), NAMES)
    (alone,) = replayed.matches
    assert alone.features["dense_margin"] == pytest.approx(0.74 - 0.31)


def test_an_answer_without_kept_candidates_has_none() -> None:
    keep = frozenset({"nginx-502"})
    assert thinned_answer(answer_of(KnowledgeStats(TEXTS)), keep, thinned_stats(TEXTS, keep), NAMES).matches == ()


def test_a_question_whose_bug_was_dropped_is_out_of_the_kb_and_held_out_with_its_family() -> None:
    engine = answer_of(KnowledgeStats(TEXTS))
    rows = [(LabelledQuery(f"q{n}", "", (), "psql-password-failed", "screenshot"), engine) for n in range(3)]
    made = thinned_samples({"dev": rows}, TEXTS, NAMES, draws=12)
    assert len(made) == 36 and all(s.made == THINNED and not s.real for s in made)
    kept = [s for s in made if s.expected == "psql-password-failed"]
    dropped = [s for s in made if s.expected is None]
    assert kept and dropped
    assert all(s.family == "psql" for s in dropped)
    assert all("psql-password-failed" not in s.bugs for s in dropped)
    assert {s.labelled_set for s in made} == {f"dev thinned {draw}" for draw in range(12)}


def test_calibrate_fits_on_thinned_answers_and_reports_them_apart() -> None:
    families = ("alpha", "beta", "gamma")
    texts = {f"{f}-{k}": [("doc", f"{f} failure number {k} {'word' * (k + 1)}")] for f in families for k in range(3)}
    rows = []
    for n in range(90):
        bugs = [f"{families[n % 3]}-{(n + k) % 3}" for k in range(3)]
        question = (
            QueryInput("message", "text", text=f"{families[n % 3]} failure number {n % 3} {'word' * (n % 3 + 1)}"),
        )
        matches = tuple(
            Match(
                KnownBug(b, b, "x", (), "open", (), "", "", "", ""),
                0.0,
                (),
                {"dense": 0.8 - 0.1 * k, "first": float(k == 0)},
            )
            for k, b in enumerate(bugs)
        )
        expected = bugs[0] if n % 6 else None
        rows.append((LabelledQuery(f"q{n}", "", (), expected, "text"), Answer("match", 0.9, matches, question)))
    info = FitInfo("e", "o", "a")
    names = ("dense", "dense_margin", "coverage", "explained", "legible")
    plain = calibrate({"set": rows}, info, {"set": Targets(0.9, 0.2)}, names=names)
    thinned = calibrate({"set": rows}, info, {"set": Targets(0.9, 0.2)}, names=names, knowledge=texts)
    assert "thinned" not in plain.figures
    assert thinned.figures["fit"]["queries"] == plain.figures["fit"]["queries"] == 90
    assert thinned.figures["thinned"]["queries"] == thinned.figures["grouped_cv thinned"]["queries"] == 270
