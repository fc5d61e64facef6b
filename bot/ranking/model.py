"""The ranking model file: the features it reads, the weights that order the candidates, two logistic models — the
confidence that the first candidate is the bug, and whether the question is a known bug at all — their thresholds,
and what it was fit with. Loaded and checked once, at start-up."""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bot.errors import ModelError
from bot.ranking.features import FEATURES
from bot.records import Decision
from bot.settings import Settings

log = logging.getLogger(__name__)

FORMAT = 2
DEFAULT_MODEL = Path(__file__).with_name("default_model.json")


@dataclass(frozen=True)
class FitInfo:
    """What a model was fit with and on, and how it measured: the embedder must match to use it; another OCR
    engine or speech model is allowed but noted, since their text is what the features read."""

    embedder: str
    ocr_engine: str
    asr_model: str
    fit_on: str = ""
    created: str = ""
    l2: dict[str, float] = field(default_factory=dict)
    figures: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class RankingModel:
    """Orders the candidates (a linear score over `features`), says how sure it is of the first (a logistic model
    over the same features) and whether the question is a known bug at all (a logistic model over the query features
    `known` names: `confidence`, the first's log-odds, `one_of_them`, the log-odds that one of the candidates is the
    bug, and `first:<feature>` / `best:<feature>`, a feature of the first candidate or its largest over all of them),
    and decides: `match` when the first is sure enough against its rivals (`against_rivals`), else `uncertain` when
    some known bug is likely, else `no_match`."""

    features: tuple[str, ...]
    ranking: dict[str, float]
    confidence: dict[str, float]
    bias: float
    match_threshold: float
    known: dict[str, float]
    known_bias: float
    known_threshold: float
    fit: FitInfo
    source: str = "the shipped ranking model"

    def rank_score(self, features: Mapping[str, float]) -> float:
        """How likely this candidate, rather than the others, is the bug; only the order of scores counts."""
        return sum(w * features.get(name, 0.0) for name, w in self.ranking.items())

    def probability(self, features: Mapping[str, float]) -> float:
        """The confidence that this candidate is the bug."""
        return logistic(self.bias + sum(w * features.get(name, 0.0) for name, w in self.confidence.items()))

    def known_probability(self, ranked: Sequence[Mapping[str, float]], confidences: Sequence[float]) -> float:
        """How likely the question is a known bug, from its candidates' features and confidences (best first)."""
        values = query_features(ranked, confidences, self.known)
        return logistic(self.known_bias + sum(w * values[name] for name, w in self.known.items()))

    def decide(self, confidence: float, known: float) -> Decision:
        """Map the first candidate's confidence against its rivals (`against_rivals`) and the known-bug probability
        to a decision."""
        if confidence >= self.match_threshold:
            return "match"
        if known >= self.known_threshold:
            return "uncertain"
        return "no_match"

    def to_json(self) -> str:
        data = {"format": FORMAT, **asdict(self)}
        data.pop("source")
        return json.dumps(data, indent=2) + "\n"

    def describe(self) -> str:
        """One line for `doctor`: where it comes from and what it was fit with."""
        fit, name = self.fit, self.source.removeprefix("the ranking model ")
        return (
            f"{name}: {len(self.features)} features, match ≥ {self.match_threshold:.3f}, known bug ≥ "
            f"{self.known_threshold:.3f}; fit on {fit.fit_on or 'an unnamed set'} with {fit.embedder}, "
            f"OCR {fit.ocr_engine}, ASR {fit.asr_model}"
        )


def parse_model(text: str, source: str) -> RankingModel:
    """A model from its JSON text; anything malformed or unknown is one `ModelError` sentence."""
    fix = "run `supportbot calibrate` to write a new one, or unset SUPPORTBOT_RANKING_MODEL to use the shipped model"
    try:
        data = json.loads(text)
        if data.pop("format", None) != FORMAT:
            raise ValueError(f"it is not format {FORMAT}")
        fit = FitInfo(**data.pop("fit"))
        model = RankingModel(**{**data, "features": tuple(data["features"]), "fit": fit, "source": source})
        weights = {**model.ranking, **model.confidence}
        numbers = [model.bias, model.match_threshold, model.known_bias, model.known_threshold, *weights.values()]
        numbers += list(model.known.values())
        if not all(isinstance(v, int | float) and math.isfinite(v) for v in numbers):
            raise ValueError("a weight or threshold is not a number")
    except (ValueError, TypeError, KeyError, AttributeError) as err:
        raise ModelError(f"{source.capitalize()} cannot be read ({err}); {fix}.") from err
    unknown = sorted(set(model.features) - FEATURES.keys())
    unused = sorted(set(weights) - set(model.features)) + sorted(bad_query_features(model.known, model.features))
    if unknown or unused:
        name = (unknown or unused)[0]
        why = "this version does not compute" if unknown else "it does not list among its features"
        raise ModelError(f"{source.capitalize()} uses the feature {name!r}, which {why}; {fix}.")
    return model


def load_model(settings: Settings) -> RankingModel:
    """The model in force (`ranking_model`, else the shipped one), checked against the configured models."""
    path = settings.ranking_model or DEFAULT_MODEL
    source = "the shipped ranking model" if settings.ranking_model is None else f"the ranking model {path}"
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as err:
        raise ModelError(
            f"{source.capitalize()} cannot be opened ({err.strerror}); check SUPPORTBOT_RANKING_MODEL."
        ) from err
    model = parse_model(text, source)
    check_fit(model, settings)
    return model


def neutral_model(settings: Settings, features: Sequence[str]) -> RankingModel:
    """A model that computes `features` but weighs none: fusion's order, no opinion. `supportbot calibrate` answers
    with it, since the features it fits on do not depend on the model in force (which may not fit the settings)."""
    fit = FitInfo(settings.embed_model, settings.ocr_engine, settings.asr_model, fit_on="nothing")
    return RankingModel(tuple(features), {}, {}, 0.0, 1.0, {}, 0.0, 0.0, fit, source="no ranking model (calibrating)")


def check_fit(model: RankingModel, settings: Settings) -> None:
    """Refuse a model fit with another embedder (its scores mean something else); note other OCR or ASR models."""
    if model.fit.embedder != settings.embed_model:
        raise ModelError(
            f"{model.source.capitalize()} was fit with the embedder {model.fit.embedder!r}, but "
            f"{settings.embed_model!r} is configured; run `supportbot calibrate` with it and set "
            "SUPPORTBOT_RANKING_MODEL to the file it writes."
        )
    for what, fitted, used in (
        ("OCR engine", model.fit.ocr_engine, settings.ocr_engine),
        ("speech model", model.fit.asr_model, settings.asr_model),
    ):
        if fitted != used:
            log.warning("the ranking model was fit with the %s %s but %s is configured", what, fitted, used)


def logistic(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


def against_rivals(confidences: Sequence[float]) -> float:
    """The first candidate's confidence (of `confidences`, best first) once its rivals are counted. At most one of
    them is the bug. So, with each confidence read as evidence of its own, it is the chance that the first alone is
    the bug over the chance that one of them alone or none is. A runner-up about as likely takes it well down (0.85
    beside 0.74 is 0.60); unlikely ones leave it nearly as it is."""
    if not confidences:
        return 0.0
    alone, total = alone_and_total(confidences)
    return alone[0] / total if total else confidences[0]


def one_of_them(confidences: Sequence[float]) -> float:
    """The chance that one of the candidates is the bug, read as `against_rivals` reads them: two about as likely
    (0.45 and 0.21) are together surer of a known bug (0.52) than either alone, though unsure which it is."""
    if not confidences:
        return 0.0
    alone, total = alone_and_total(confidences)
    return math.fsum(alone) / total if total else max(confidences)


def alone_and_total(confidences: Sequence[float]) -> tuple[list[float], float]:
    """Each candidate's chance to be the bug alone, and the chance that one of them alone or none is."""
    alone = [p * math.prod(1.0 - q for j, q in enumerate(confidences) if j != i) for i, p in enumerate(confidences)]
    return alone, math.prod(1.0 - p for p in confidences) + math.fsum(alone)


# the query features read off the candidates' confidences (best first)
FROM_CONFIDENCES: dict[str, Callable[[Sequence[float]], float]] = {
    "confidence": lambda c: c[0],
    "one_of_them": one_of_them,
}


def log_odds(p: float) -> float:
    p = min(max(p, 1e-12), 1.0 - 1e-12)
    return math.log(p / (1.0 - p))


def query_features(
    ranked: Sequence[Mapping[str, float]], confidences: Sequence[float], names: Iterable[str]
) -> dict[str, float]:
    """The named query features of the candidates (best first) and their confidences: `confidence` (the first's, as
    log-odds), `one_of_them` (the chance that one of them is the bug, as log-odds), `first:<feature>` (the first
    candidate's feature) and `best:<feature>` (its largest over the candidates); 0 without candidates."""
    values = {}
    for name in names:
        part, _, feature = name.partition(":")
        if name in FROM_CONFIDENCES:
            values[name] = log_odds(FROM_CONFIDENCES[name](confidences) if ranked else 0.0)
        elif part == "first":
            values[name] = ranked[0].get(feature, 0.0) if ranked else 0.0
        else:
            values[name] = max((r.get(feature, 0.0) for r in ranked), default=0.0)
    return values


def bad_query_features(names: Iterable[str], features: Sequence[str]) -> list[str]:
    """The query feature names that are not `confidence`, `one_of_them`, `first:<f>` or `best:<f>` of a listed
    feature."""
    wrong = []
    for name in names:
        part, _, feature = name.partition(":")
        if name not in FROM_CONFIDENCES and not (part in ("first", "best") and feature in features):
            wrong.append(name)
    return wrong
