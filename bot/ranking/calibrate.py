"""Fit the ranking model on labelled answers and measure how it transfers.

Two logistic models are fit on every (query, candidate) pair: one orders the candidates (without fusion's own
order, `first`, so evidence can overrule it), one gives the confidence. Their regularisation and the decision
thresholds are chosen by cross-validation grouped by bug family (the id's first part: chrome, curl, nginx…), so
they are judged on bugs they never saw, as on a new knowledge base; the figures of each fold, and of other labelled
sets (`tests`), are what the model is expected to do there.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from bot.evaluate import LabelledQuery, decision_figures
from bot.ranking.model import FitInfo, RankingModel
from bot.records import Answer, Decision

FEATURES = (
    "dense",
    "dense_margin",
    "fts",
    "coverage",
    "shown_f1",
    "shown_recall_log",
    "shown_error",
    "codes_shared",
    "codes_clash",
    "has_shown",
    "has_speech",
    "rejected",
)
RANKING_L2 = (1.0, 3.0, 10.0, 30.0)
REPLAY = "replay"  # the kind of a sample made up from another by `with_replays`
CONFIDENCE_L2 = (0.3, 1.0, 3.0, 10.0)


@dataclass(frozen=True)
class Targets:
    """What the thresholds keep: match precision at least `precision`, in-KB no_match at most `max_no_match`."""

    precision: float = 0.985
    max_no_match: float = 0.04


@dataclass(frozen=True)
class Sample:
    """One labelled query as the engine answered it: its candidates (fused order) and their features."""

    id: str
    kind: str
    expected: str | None
    family: str
    bugs: tuple[str, ...]
    x: np.ndarray  # one row per candidate, one column per name in `names`


@dataclass(frozen=True)
class Fitted:
    """The fitted weights (over `names`; the ranking gives `first` no weight) and the regularisation used."""

    names: tuple[str, ...]
    ranking: np.ndarray
    confidence: np.ndarray
    bias: float
    l2: tuple[float, float]

    def answer(self, sample: Sample) -> tuple[list[str], float]:
        """The candidates best first and the confidence of the first."""
        if not sample.bugs:
            return [], 0.0
        order = np.argsort(-(sample.x @ self.ranking), kind="stable")
        z = float(sample.x[order[0]] @ self.confidence + self.bias)
        return [sample.bugs[i] for i in order], 1.0 / (1.0 + np.exp(-max(-30.0, min(30.0, z))))


Answers = dict[str, tuple[list[str], float]]


def samples(results: Sequence[tuple[LabelledQuery, Answer]], names: Sequence[str]) -> list[Sample]:
    """The samples of labelled answers, candidates back in fused order."""
    out = []
    for query, answer in results:
        matches = sorted(answer.matches, key=lambda m: -m.features.get("first", 0.0))  # stable: fused order
        bugs = tuple(m.bug.id for m in matches)
        x = np.array([[m.features.get(n, 0.0) for n in names] for m in matches], dtype=np.float64)
        family = (query.expected or "").split("-")[0] or "out-of-kb near " + (bugs[0].split("-")[0] if bugs else "")
        out.append(Sample(query.id, query.kind, query.expected, family, bugs, x.reshape(len(bugs), len(names))))
    return out


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float, steps: int = 60) -> tuple[np.ndarray, float]:
    """L2-regularised logistic regression by Newton's method (small, dense problems)."""
    design = np.hstack([x, np.ones((len(x), 1))])
    theta = np.zeros(design.shape[1])
    penalty = np.eye(design.shape[1]) * l2
    penalty[-1, -1] = 0.0
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-np.clip(design @ theta, -30, 30)))
        gradient = design.T @ (p - y) + penalty @ theta
        hessian = design.T @ (design * (p * (1 - p))[:, None]) + penalty + np.eye(len(theta)) * 1e-9
        step = np.linalg.solve(hessian, gradient)
        theta -= step
        if np.abs(step).max() < 1e-8:
            break
    return theta[:-1], float(theta[-1])


def fit_choice(lists: Sequence[tuple[np.ndarray, int]], l2: float, steps: int = 60) -> np.ndarray:
    """Weights of a conditional logit: for each list of candidates (rows) with the right one at the given index,
    P(right) = softmax(x @ w); L2-regularised, by Newton's method. It learns what sets the right candidate apart
    from the others of the same query, which is all an ordering needs."""
    size = lists[0][0].shape[1] if lists else 0
    w = np.zeros(size)
    for _ in range(steps):
        gradient = l2 * w
        hessian = l2 * np.eye(size) + np.eye(size) * 1e-9
        for x, right in lists:
            z = x @ w
            p = np.exp(z - z.max())
            p /= p.sum()
            mean = p @ x
            gradient = gradient - (x[right] - mean)
            hessian = hessian + (x * p[:, None]).T @ x - np.outer(mean, mean)
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w


def with_replays(train: Sequence[Sample], names: Sequence[str]) -> list[Sample]:
    """The samples plus, when the model reads `rejected`, a replay of each query whose first candidate is wrong:
    the query asked again after a user said "Not it" to that candidate (similarity 1). Replays are fit and
    cross-validated on (so the regularisation is chosen for them too), never counted in the figures."""
    if "rejected" not in names:
        return list(train)
    column = list(names).index("rejected")
    replays = []
    for sample in train:
        if sample.bugs and sample.bugs[0] != sample.expected:
            x = sample.x.copy()
            x[0, column] = 1.0
            replays.append(replace(sample, id=f"{sample.id} (Not it)", kind=REPLAY, x=x))
    return [*train, *replays]


def fit(train: Sequence[Sample], names: Sequence[str], l2: tuple[float, float]) -> Fitted:
    """Both models on every (query, candidate) pair of `train`."""
    rows = train
    x = np.vstack([s.x for s in rows if s.bugs])
    y = np.concatenate([[float(b == s.expected) for b in s.bugs] for s in rows if s.bugs])
    ranked = [i for i, n in enumerate(names) if n != "first"]
    ranking = np.zeros(len(names))
    lists = [(s.x[:, ranked], s.bugs.index(s.expected)) for s in rows if s.expected in s.bugs]
    ranking[ranked] = fit_choice(lists, l2[0])
    confidence, bias = fit_logistic(x, y, l2[1])
    return Fitted(tuple(names), ranking, confidence, bias, l2)


def by_family(items: Sequence[Sample], fit_one: Callable[[list[Sample]], Fitted]) -> Answers:
    """Each sample answered by a model fit without its bug family."""
    answers: Answers = {}
    for family in sorted({family_of(s) for s in items}):
        model = fit_one([s for s in items if family_of(s) != family])
        answers.update({s.id: model.answer(s) for s in items if family_of(s) == family})
    return answers


def family_of(sample: Sample) -> str:
    """The bug family a sample is held out with; an out-of-KB query goes with the family it was mistaken for."""
    return sample.family.removeprefix("out-of-kb near ")


def choose_thresholds(items: Sequence[Sample], answers: Answers, targets: Targets) -> tuple[float, float]:
    """The lowest match threshold keeping match precision; the highest uncertain threshold within the budget of
    in-KB no_match answers."""
    scored = [(answers[s.id][1], bool(answers[s.id][0]) and answers[s.id][0][0] == s.expected) for s in items]
    match = 1.0
    for threshold in sorted({c for c, _ in scored}, reverse=True):
        chosen = [right for c, right in scored if c >= threshold]
        if np.mean(chosen) >= targets.precision:
            match = threshold
    in_kb = sorted(answers[s.id][1] for s in items if s.expected)
    budget = int(targets.max_no_match * len(in_kb))
    uncertain = in_kb[budget] if budget < len(in_kb) else 0.0
    return float(match), float(min(uncertain, match))


def both_ways(items: Sequence[Sample], held_out: Answers, final: Fitted, targets: Targets) -> tuple[float, float]:
    """Thresholds that keep the targets both for families held out (what a new knowledge base sees) and on the set
    as fit: the higher match threshold and the lower uncertain one of the two."""
    new = choose_thresholds(items, held_out, targets)
    seen = choose_thresholds(items, {s.id: final.answer(s) for s in items}, targets)
    return max(new[0], seen[0]), min(new[1], seen[1])


def figures(items: Sequence[Sample], answers: Answers, thresholds: Mapping[str, tuple[float, float]]) -> dict:
    """Ranking and decision figures of `answers`; `thresholds` per sample id (a fold's own, or the model's)."""
    rows = []
    for s in items:
        ranked, confidence = answers[s.id]
        match, uncertain = thresholds[s.id]
        decision: Decision = "match" if confidence >= match else "uncertain" if confidence >= uncertain else "no_match"
        rows.append((s.expected, decision, ranked))
    return decision_figures(rows)


def select_l2(items: Sequence[Sample], names: Sequence[str]) -> tuple[float, float]:
    """The regularisation that transfers best across families: the ranking's by mean reciprocal rank, then the
    confidence's by log-loss (ties go to the stronger)."""

    def held_out(l2: tuple[float, float]) -> Answers:
        return by_family(items, lambda train: fit(train, names, l2))

    def mrr(answers: Answers) -> float:
        ranks = [answers[s.id][0].index(s.expected) + 1 for s in items if s.expected in answers[s.id][0]]
        return round(sum(1.0 / r for r in ranks) / max(1, sum(1 for s in items if s.expected)), 4)

    def log_loss(answers: Answers) -> float:
        losses = []
        for s in items:
            ranked, p = answers[s.id]
            losses.append(-np.log(max(p if ranked[:1] == [s.expected] else 1.0 - p, 1e-9)))
        return round(float(np.mean(losses)), 4)

    ranking = max(RANKING_L2, key=lambda r: (mrr(held_out((r, 1.0))), r))
    confidence = min(CONFIDENCE_L2, key=lambda c: (log_loss(held_out((ranking, c))), -c))
    return ranking, confidence


@dataclass(frozen=True)
class Calibration:
    """The fitted model and its figures: `fit` (the set it was fit on), `grouped_cv`, and `test <name>` per test set."""

    model: RankingModel
    figures: dict[str, dict]


def calibrate(
    results: Sequence[tuple[LabelledQuery, Answer]],
    info: FitInfo,
    targets: Targets = Targets(),
    tests: Mapping[str, Sequence[tuple[LabelledQuery, Answer]]] | None = None,
    names: Sequence[str] = FEATURES,
) -> Calibration:
    """Fit the model on `results`, with thresholds from the answers of family-held-out models (what a new knowledge
    base sees), and measure it: on `results`, grouped by family (each fold's model and thresholds fit on the other
    families alone), and on each of `tests`."""
    all_names = (*names, "first")
    items = with_replays(samples(results, all_names), all_names)
    real = [s for s in items if s.kind != REPLAY]
    l2 = select_l2(items, all_names)
    final = fit(items, all_names, l2)
    thresholds = both_ways(real, by_family(items, lambda train: fit(train, all_names, l2)), final, targets)
    model = as_model(final, thresholds, info)
    measured = {
        "fit": model_figures(model, real),
        "grouped_cv": grouped_figures(items, all_names, l2, targets),
        **{f"test {name}": model_figures(model, samples(rows, all_names)) for name, rows in (tests or {}).items()},
    }
    model = replace(model, fit=replace(info, figures=measured, l2={"ranking": l2[0], "confidence": l2[1]}))
    return Calibration(model, measured)


def model_figures(model: RankingModel, items: Sequence[Sample]) -> dict:
    """The figures of the model as the engine applies it (rounded weights and thresholds)."""
    answers: Answers = {}
    for s in items:
        vectors = [dict(zip(model.features, row, strict=True)) for row in s.x]
        order = sorted(range(len(s.bugs)), key=lambda i: -model.rank_score(vectors[i]))
        answers[s.id] = [s.bugs[i] for i in order], model.probability(vectors[order[0]]) if order else 0.0
    bounds = (model.match_threshold, model.uncertain_threshold)
    return figures(items, answers, dict.fromkeys([s.id for s in items], bounds))


def grouped_figures(items: Sequence[Sample], names: Sequence[str], l2: tuple[float, float], targets: Targets) -> dict:
    """Leave one family out: its queries answered by a model and thresholds fit on the other families only."""
    answers: Answers = {}
    thresholds: dict[str, tuple[float, float]] = {}
    for family in sorted({family_of(s) for s in items}):
        train = [s for s in items if family_of(s) != family]
        model = fit(train, names, l2)
        inner = by_family(train, lambda t: fit(t, names, l2))
        fold = both_ways([s for s in train if s.kind != REPLAY], inner, model, targets)
        for s in items:
            if family_of(s) == family and s.kind != REPLAY:
                answers[s.id], thresholds[s.id] = model.answer(s), fold
    real = [s for s in items if s.kind != REPLAY]
    return figures(real, answers, thresholds)


def as_model(fitted: Fitted, thresholds: tuple[float, float], info: FitInfo) -> RankingModel:
    """The model file's contents."""
    names = fitted.names
    return RankingModel(
        features=names,
        # features the same for every candidate of a query (has_shown...) cannot order them: their weight is 0
        ranking={n: round(float(w), 4) for n, w in zip(names, fitted.ranking, strict=True) if round(float(w), 4)},
        confidence={n: round(float(w), 4) for n, w in zip(names, fitted.confidence, strict=True)},
        bias=round(fitted.bias, 4),
        match_threshold=round(thresholds[0], 4),
        uncertain_threshold=round(thresholds[1], 4),
        fit=info,
    )
