"""Turn the top candidates' features into a calibrated confidence and a match / uncertain / no_match decision."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from bot.lexicon import Lexicon
from bot.records import Candidate, Decision
from bot.settings import Settings

SCREEN_OVERLAP_FLOOR = 0.05  # keeps the log finite when a screenshot shares no word with the bug's screens


def feature_vector(
    candidates: Sequence[Candidate], position: int, query: QueryText, rows: Sequence[tuple[str, str]], lexicon: Lexicon
) -> dict[str, float]:
    """The features of one candidate that the confidence model reads (margins are to its neighbours);
    `rows` are the bug's indexed (kind, text) rows."""
    this = candidates[position].features
    below = candidates[position + 1].features if position + 1 < len(candidates) else {}
    above = candidates[position - 1].features if position > 0 else {}
    bug_text = "\n".join(text for _, text in rows)
    shared, clashing = lexicon.code_agreement(query.all, bug_text)
    screen_recall, screen_f1 = lexicon.screen_match(query.screen, [t for k, t in rows if k == "ocr"])
    return {
        "dense": this.get("dense", 0.0),
        "dense_margin": this.get("dense", 0.0) - max(below.get("dense", 0.0), above.get("dense", 0.0)),
        "fts": this.get("fts", 0.0),
        "rerank": this.get("rerank", 0.0),
        "coverage": lexicon.coverage(query.all, bug_text),
        "screen": float(bool(query.screen)),
        "voice": float(query.voice),
        "screen_overlap": screen_recall,
        "screen_f1": screen_f1,
        # a screenshot that shows little of every one of the bug's screens is rarely that bug: on a log scale a low
        # overlap costs much more than a high one earns
        "screen_overlap_log": math.log(screen_recall + SCREEN_OVERLAP_FLOOR) if query.screen else 0.0,
        "codes_shared": shared,
        "codes_clash": clashing,
        "first": float(position == 0),
    }


@dataclass(frozen=True)
class QueryText:
    """The query's text as the features read it: everything searched, the screenshots' OCR alone, and
    whether a voice note was heard (transcripts are noisier than typed or OCR'd text)."""

    all: str
    screen: str
    voice: bool


def confidence(features: dict[str, float], settings: Settings) -> float:
    """A logistic model over the features; weights are calibrated on a labelled set."""
    z = settings.confidence_bias + sum(settings.confidence_weights.get(k, 0.0) * v for k, v in features.items())
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


def ranking_score(features: dict[str, float], settings: Settings) -> float:
    """How likely this candidate, rather than the others, is the bug: a linear model over the same features
    without the fused rank (`first`), so evidence can reorder what fusion put first."""
    return sum(settings.ranking_weights.get(k, 0.0) * v for k, v in features.items())


def decide(value: float, settings: Settings) -> Decision:
    """Map a confidence to a decision with the configured thresholds."""
    if value >= settings.match_threshold:
        return "match"
    if value >= settings.uncertain_threshold:
        return "uncertain"
    return "no_match"
