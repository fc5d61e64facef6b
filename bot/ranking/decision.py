"""Rank one query's candidates with the model and decide: the step between search and the reply."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.ranking.features import QueryText, Scoring, feature_vectors
from bot.ranking.model import RankingModel, against_rivals
from bot.ranking.stats import KnowledgeStats
from bot.records import Candidate, Decision


@dataclass(frozen=True)
class Ranked:
    """A candidate with its features and the model's confidence that it is the bug."""

    candidate: Candidate
    features: dict[str, float]
    confidence: float


def rank(
    candidates: Sequence[Candidate],
    query: QueryText,
    stats: KnowledgeStats,
    model: RankingModel,
    rejected: Mapping[str, float] | None = None,
    keep_order: bool = False,
) -> list[Ranked]:
    """The candidates (fused order in) best first by the model's ranking score, or in the order given when
    `keep_order` (a cross-encoder ordered them)."""
    vectors = feature_vectors(Scoring(candidates, query, stats, rejected), model.features)
    ranked = [Ranked(c, f, model.probability(f)) for c, f in zip(candidates, vectors, strict=True)]
    if not keep_order:
        ranked.sort(key=lambda r: model.rank_score(r.features), reverse=True)
    return ranked


def decide(ranked: Sequence[Ranked], model: RankingModel) -> tuple[Decision, float, float]:
    """The decision, the first candidate's confidence against its rivals (what `match` is held to: two bugs about as
    likely make an answer `uncertain`, which shows both) and the probability that the question is a known bug."""
    if not ranked:
        return "no_match", 0.0, 0.0
    confidences = [r.confidence for r in ranked]
    known = model.known_probability([r.features for r in ranked], confidences)
    sure = against_rivals(confidences)
    return model.decide(sure, known), sure, known
