"""Labelled answers as a sparser knowledge base would give them, for `calibrate` to fit on too.

A knowledge base that holds one bug of a program has no near relative to put second, so its first candidate leads
the next by far (`dense_margin`) whether or not it is the bug: a new failure of that program looks like its one known
bug. Fit only on a knowledge base with several bugs per program, the confidence learns that a large lead means the
bug and answers such cousins `match`. Here each labelled answer is replayed against a knowledge base that keeps one bug
per family (drawn at random): the candidates it keeps, their features computed again with its statistics, and a
question whose bug it dropped becomes a question it does not know.
"""

from __future__ import annotations

import random
from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace

from bot.ranking.features import QueryText, Scoring, feature_vectors
from bot.ranking.fusion import the_failure
from bot.ranking.stats import KnowledgeStats
from bot.records import Answer, Candidate

UNLISTED = "(unlisted)"  # stands for the nearest bug beyond the shortlist, which the answer does not name


def family(bug_id: str) -> str:
    """A bug's family: its id's first part (chrome, curl, nginx…)."""
    return bug_id.split("-")[0]


def one_per_family(bug_ids: Collection[str], draw: int) -> frozenset[str]:
    """One bug of each family, drawn at random (the same `draw`, the same bugs)."""
    families: dict[str, list[str]] = {}
    for bug_id in sorted(bug_ids):
        families.setdefault(family(bug_id), []).append(bug_id)
    chosen = random.Random(draw)
    return frozenset(chosen.choice(members) for members in families.values())


def thinned_stats(texts: Mapping[str, Sequence[tuple[str, str]]], keep: frozenset[str]) -> KnowledgeStats:
    """The statistics of the knowledge base that keeps only the bugs `keep`."""
    return KnowledgeStats({bug_id: rows for bug_id, rows in texts.items() if bug_id in keep})


def thinned_answer(answer: Answer, keep: frozenset[str], stats: KnowledgeStats, names: Sequence[str]) -> Answer:
    """The answer with only the candidates in `keep`, their features (`names`) computed again with `stats`: the
    first kept in fusion's order is `first`, and the lead over the next counts the nearest bug beyond the shortlist
    as near as the least near listed one (it cannot be nearer). Decision and confidence are left as they were;
    calibrate reads only the candidates and their features."""
    listed = sorted(answer.matches, key=lambda m: -m.features.get("first", 0.0))  # stable: fusion's first, then rank
    kept = [m for m in listed if m.bug.id in keep]
    if not kept:
        return replace(answer, matches=())
    # each keeps what search gave it (dense, fts, rerank, confirmed); the features read from text are computed again
    candidates = [Candidate(m.bug.id, m.score, dict(m.features)) for m in kept]
    floor = min(m.features.get("dense", 0.0) for m in listed)
    unlisted = Candidate(UNLISTED, 0.0, {"dense": floor})
    rejected = {m.bug.id: m.features.get("rejected", 0.0) for m in kept}
    query = QueryText.of(the_failure(answer.inputs))
    computed = [n for n in names if n != "first"]
    vectors = feature_vectors(Scoring([*candidates, unlisted], query, stats, rejected), computed)
    matches = tuple(
        replace(m, features={**vector, "first": float(i == 0)})
        for i, (m, vector) in enumerate(zip(kept, vectors[: len(kept)], strict=True))
    )
    return replace(answer, matches=matches)
