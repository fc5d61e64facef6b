"""Turn the top candidates' features into a calibrated confidence and a match / uncertain / no_match decision."""

from __future__ import annotations

import math
from collections.abc import Sequence

from bot.lexicon import Lexicon
from bot.records import Candidate, Decision
from bot.settings import Settings


def feature_vector(
    candidates: Sequence[Candidate], position: int, query: str, bug_text: str, lexicon: Lexicon
) -> dict[str, float]:
    """The features of one candidate that the confidence model reads (margins are to its neighbours)."""
    this = candidates[position].features
    below = candidates[position + 1].features if position + 1 < len(candidates) else {}
    above = candidates[position - 1].features if position > 0 else {}
    shared, clashing = lexicon.code_agreement(query, bug_text)
    return {
        "dense": this.get("dense", 0.0),
        "dense_margin": this.get("dense", 0.0) - max(below.get("dense", 0.0), above.get("dense", 0.0)),
        "fts": this.get("fts", 0.0),
        "rerank": this.get("rerank", 0.0),
        "coverage": lexicon.coverage(query, bug_text),
        "codes_shared": shared,
        "codes_clash": clashing,
        "first": float(position == 0),
    }


def confidence(features: dict[str, float], settings: Settings) -> float:
    """A logistic model over the features; weights are calibrated on a labelled set."""
    z = settings.confidence_bias + sum(settings.confidence_weights.get(k, 0.0) * v for k, v in features.items())
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


def decide(value: float, settings: Settings) -> Decision:
    """Map a confidence to a decision with the configured thresholds."""
    if value >= settings.match_threshold:
        return "match"
    if value >= settings.uncertain_threshold:
        return "uncertain"
    return "no_match"
