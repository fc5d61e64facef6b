"""Fit the ranking model on labelled answers and measure how it transfers.

Three logistic models are fit. Over every (query, candidate) pair: one orders the candidates (a conditional logit,
without fusion's own order, `first`, so evidence can overrule it) and one gives the confidence that a candidate is the
bug (the first's, against its rivals', decides `match`; it does not read the `RANKING_ONLY` features). Over every
query: one says whether the question is a known bug at all (it decides between `uncertain` and `no_match`, so an in-KB
question whose first candidate is wrong is still shown its candidates). Their regularisation and the thresholds are
chosen by cross-validation grouped by bug family (the id's first part: chrome, curl, nginx…), so they are judged on
bugs they never saw, as on a new knowledge base; the figures of each fold, and of other labelled sets (`tests`), are
what the model is expected to do there. The ordering and the confidence are also fit on the same answers replayed
against knowledge bases that keep one bug per family (`thinned`), where a first candidate without near relatives leads
the next by far whether or not it is the bug, so that a lead alone does not pass for a match on a small knowledge
base.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from bot.evaluate import LabelledQuery, decision_figures
from bot.ranking.model import FROM_CONFIDENCES, FitInfo, RankingModel, against_rivals, logistic, query_features
from bot.ranking.thinned import family, one_per_family, thinned_answer, thinned_stats
from bot.records import Answer, Decision

FEATURES = (
    "dense",
    "dense_margin",
    "fts",
    "coverage",
    "explained",
    "shown_f1",
    "shown_error_recall_log",
    "shown_error",
    "shown_lines",
    "codes_shared",
    "codes_clash",
    "failure_clash",
    "has_shown",
    "has_speech",
    "told",
    "legible",
    "rejected",
    "confirmed",
    "told_grams",
    "shown_error_grams",
)
# features that only order the candidates: letter trigrams tell apart close bugs a misread word leaves alike, but
# how many a query shares depends on how it was read more than on whether it is a known bug, so the confidence and
# the decisions, which must carry to other knowledge bases and other captures, do not read them
RANKING_ONLY = ("told_grams", "shown_error_grams")
# what the known-bug model reads: how sure it is that one of the candidates is the bug (two known bugs about as likely
# make it surer of a known bug, even as the first is unsure which), how surely the query was read (a question read
# badly that fits nothing may still be a known bug; one read clearly that fits nothing is not), and whether the query
# shows an error code the first candidate lacks (a code read through a blurred capture still says which failure it is)
KNOWN = ("one_of_them", "first:legible", "first:codes_clash")
RANKING_L2 = (1.0, 3.0, 10.0, 30.0)
CONFIDENCE_L2 = (0.3, 1.0, 3.0, 10.0)
KNOWN_L2 = (1.0, 3.0, 10.0, 30.0)
REPLAY = "replay"  # a sample made up from another by `with_replays`...
THINNED = "thinned"  # ...or by `thinned_samples`: fit on, never counted among the sets' figures or thresholds
THINNED_DRAWS = 3  # knowledge bases of one bug per family drawn to replay the answers against


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
    labelled_set: str = ""
    made: str = ""  # how a made-up sample was made (REPLAY, THINNED); "" for a real answer

    @property
    def real(self) -> bool:
        return not self.made


@dataclass(frozen=True)
class Answered:
    """A model's answer to a sample: the candidates best first, the first's confidence against its rivals (what the
    match threshold is chosen on, as the engine decides), the known-bug probability."""

    ranked: list[str]
    confidence: float
    known: float


@dataclass(frozen=True)
class Fitted:
    """The fitted weights (over `names`; the ranking gives `first` no weight; the known-bug model's over
    `known_names`) and the regularisation used."""

    names: tuple[str, ...]
    ranking: np.ndarray
    confidence: np.ndarray
    bias: float
    known: np.ndarray
    known_bias: float
    l2: tuple[float, float, float]

    def order(self, sample: Sample) -> np.ndarray:
        return np.argsort(-(sample.x @ self.ranking), kind="stable")

    def answer(self, sample: Sample) -> Answered:
        if not sample.bugs:
            return Answered([], 0.0, 0.0)
        order = self.order(sample)
        confidences = [logistic(float(sample.x[i] @ self.confidence + self.bias)) for i in order]
        known = logistic(float(self.known_vector(sample, order, confidences) @ self.known + self.known_bias))
        return Answered([sample.bugs[i] for i in order], against_rivals(confidences), known)

    @property
    def known_names(self) -> tuple[str, ...]:
        return known_names(self.names)

    def known_vector(self, sample: Sample, order: np.ndarray, confidences: Sequence[float]) -> np.ndarray:
        ranked = [dict(zip(self.names, sample.x[i], strict=True)) for i in order]
        values = query_features(ranked, confidences, self.known_names)
        return np.array([values[name] for name in self.known_names])


def known_names(names: Sequence[str]) -> tuple[str, ...]:
    """The query features of `KNOWN` that a model over the features `names` can read."""
    return tuple(name for name in KNOWN if name in FROM_CONFIDENCES or name.partition(":")[2] in names)


Answers = dict[str, Answered]


def samples(
    results: Sequence[tuple[LabelledQuery, Answer]], names: Sequence[str], labelled_set: str = ""
) -> list[Sample]:
    """The samples of labelled answers, candidates back in fused order; ids are prefixed with the set's name."""
    out = []
    for query, answer in results:
        matches = sorted(answer.matches, key=lambda m: -m.features.get("first", 0.0))  # stable: fused order
        bugs = tuple(m.bug.id for m in matches)
        x = np.array([[m.features.get(n, 0.0) for n in names] for m in matches], dtype=np.float64)
        family_name = (
            family(query.expected) if query.expected else "out-of-kb near " + (family(bugs[0]) if bugs else "")
        )
        sample_id = f"{labelled_set}:{query.id}" if labelled_set else query.id
        shaped = x.reshape(len(bugs), len(names))
        out.append(Sample(sample_id, query.kind, query.expected, family_name, bugs, shaped, labelled_set))
    return with_variants_together(out)


def with_variants_together(items: list[Sample]) -> list[Sample]:
    """Out-of-KB variants of one query (ids `<id>` and `<id>-<how>`, as the messy-capture generators name them) held
    out with one family, the one most of them were mistaken for; in-KB variants share their bug's family anyway."""
    near: dict[str, Counter[str]] = {}
    for s in items:
        if s.expected is None:
            near.setdefault(variant_of(s.id), Counter())[s.family] += 1
    return [replace(s, family=near[variant_of(s.id)].most_common(1)[0][0]) if s.expected is None else s for s in items]


def variant_of(sample_id: str) -> str:
    """The query a sample is a variant of: its id without the set prefix and the `-<how>` suffix."""
    return sample_id.rpartition(":")[2].split("-")[0]


def thinned_samples(
    results: Mapping[str, Sequence[tuple[LabelledQuery, Answer]]],
    texts: Mapping[str, Sequence[tuple[str, str]]],
    names: Sequence[str],
    draws: int = THINNED_DRAWS,
) -> list[Sample]:
    """The answers of every set replayed against `draws` knowledge bases that keep one bug per family of `texts` (the
    bugs the sets were answered with), as samples made THINNED; a question whose bug was dropped is out of the KB and
    held out with that bug's family."""
    made = []
    for draw in range(draws):
        keep = one_per_family(texts, draw)
        stats = thinned_stats(texts, keep)
        for name, rows in results.items():
            thinned = [
                (
                    replace(query, expected=query.expected if query.expected in keep else None),
                    thinned_answer(a, keep, stats, names),
                )
                for query, a in rows
            ]
            for (query, _), sample in zip(rows, samples(thinned, names, f"{name} thinned {draw}"), strict=True):
                held = family(query.expected) if query.expected and query.expected not in keep else sample.family
                made.append(replace(sample, family=held, made=THINNED))
    return made


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


def fit_standardised(x: np.ndarray, y: np.ndarray, l2: float) -> tuple[np.ndarray, float]:
    """`fit_logistic` on standardised columns (so one strength suits features of any scale), as raw-scale weights."""
    mean, spread = x.mean(axis=0), x.std(axis=0) + 1e-9
    weights, bias = fit_logistic((x - mean) / spread, y, l2)
    return weights / spread, bias - float(weights @ (mean / spread))


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
    """The samples plus replays of what users' feedback makes of them, when the model reads it: for `rejected`, each
    query whose first candidate is wrong asked again after a user said "Not it" to that candidate; for `confirmed`,
    each in-KB query asked again after a user confirmed its bug (the learned example repeats it: similarity 1, its
    bug's dense score 1 and fusion's first). Replays are fit and cross-validated on (so the regularisation is chosen
    for them too), never counted in the figures."""
    replays = []
    for sample in train:
        if not sample.bugs:
            continue
        if "rejected" in names and sample.bugs[0] != sample.expected:
            x = sample.x.copy()
            x[0, names.index("rejected")] = 1.0
            replays.append(replace(sample, id=f"{sample.id} (Not it)", made=REPLAY, x=x))
        if "confirmed" in names and sample.expected in sample.bugs:
            again = confirmed_again(sample, names)
            replays.append(replace(sample, id=f"{sample.id} (confirmed)", made=REPLAY, x=again))
    return [*train, *replays]


def confirmed_again(sample: Sample, names: Sequence[str]) -> np.ndarray:
    """The sample's features once a learned example of its bug repeats it."""
    x = sample.x.copy()
    right = sample.bugs.index(sample.expected)  # type: ignore[arg-type]
    x[right, names.index("confirmed")] = 1.0
    if "dense" in names:
        dense = names.index("dense")
        x[right, dense] = 1.0
        if "dense_margin" in names:
            for row in range(len(x)):
                others = [x[j, dense] for j in range(len(x)) if j != row]
                x[row, names.index("dense_margin")] = x[row, dense] - max(others, default=0.0)
    if "first" in names:
        x[:, names.index("first")] = 0.0
        x[right, names.index("first")] = 1.0
    return x


def fit(train: Sequence[Sample], names: Sequence[str], l2: tuple[float, float, float]) -> Fitted:
    """The three models on `train`: ordering and confidence on every (query, candidate) pair, the known-bug model
    on every real query (replays are the same question again, thinned ones another knowledge base's)."""
    rows = [s for s in train if s.bugs]
    x = np.vstack([s.x for s in rows])
    y = np.concatenate([[float(b == s.expected) for b in s.bugs] for s in rows])
    ranked = [i for i, n in enumerate(names) if n != "first"]
    ranking = np.zeros(len(names))
    lists = [(s.x[:, ranked], s.bugs.index(s.expected)) for s in rows if s.expected in s.bugs]
    ranking[ranked] = fit_choice(lists, l2[0])
    confidence = np.zeros(len(names))
    read = [i for i, n in enumerate(names) if n not in RANKING_ONLY]
    confidence[read], bias = fit_logistic(x[:, read], y, l2[1])
    partial = Fitted(tuple(names), ranking, confidence, bias, np.zeros(len(known_names(names))), 0.0, l2)
    real = [s for s in train if s.real]
    vectors = []
    for s in real:
        order = partial.order(s) if s.bugs else np.array([], dtype=int)
        confidences = [logistic(float(s.x[i] @ confidence + bias)) for i in order]
        vectors.append(partial.known_vector(s, order, confidences))
    in_kb = np.array([float(s.expected is not None) for s in real])
    known, known_bias = fit_standardised(np.array(vectors), in_kb, l2[2])
    return replace(partial, known=known, known_bias=known_bias)


def by_family(items: Sequence[Sample], fit_one: Callable[[list[Sample]], Fitted]) -> Answers:
    """Each sample answered by a model fit without its bug family."""
    answers: Answers = {}
    for held in sorted({family_of(s) for s in items}):
        model = fit_one([s for s in items if family_of(s) != held])
        answers.update({s.id: model.answer(s) for s in items if family_of(s) == held})
    return answers


def family_of(sample: Sample) -> str:
    """The bug family a sample is held out with; an out-of-KB query goes with the family it was mistaken for."""
    return sample.family.removeprefix("out-of-kb near ")


def both_ways(
    items: Sequence[Sample], held_out: Answers, final: Fitted, targets: Mapping[str, Targets]
) -> tuple[float, float]:
    """Thresholds that keep the targets both for families held out (what a new knowledge base sees) and on the set
    as fit: the lowest match threshold that keeps every set's match precision either way; then the highest known-bug
    threshold that keeps every set's in-KB no_match budget either way, counted among the queries that this match
    threshold leaves unsure."""
    ways = (held_out, {s.id: final.answer(s) for s in items})
    by_set = {name: [s for s in items if s.labelled_set == name] for name in {s.labelled_set for s in items}}
    match = max(match_threshold(group, a, targets[name].precision) for a in ways for name, group in by_set.items())
    known = min(
        known_threshold(group, a, match, targets[name].max_no_match) for a in ways for name, group in by_set.items()
    )
    return match, known


def match_threshold(items: Sequence[Sample], answers: Answers, precision: float) -> float:
    """The lowest confidence at and above which the first candidates are right at least `precision` of the time."""
    scored = [(answers[s.id].confidence, answers[s.id].ranked[:1] == [s.expected]) for s in items]
    match = 1.0
    for threshold in sorted({c for c, _ in scored}, reverse=True):
        if np.mean([right for c, right in scored if c >= threshold]) >= precision:
            match = threshold
    return float(match)


def known_threshold(items: Sequence[Sample], answers: Answers, match: float, max_no_match: float) -> float:
    """The highest known-bug threshold below which at most `max_no_match` of the in-KB queries fall (among those
    under the match threshold; a query without candidates is no_match whatever the threshold). When fewer are unsure
    than the budget allows, the highest of them; with none, an even chance."""
    in_kb = [answers[s.id] for s in items if s.expected]
    unsure = sorted(a.known if a.ranked else -1.0 for a in in_kb if a.confidence < match)
    budget = int(max_no_match * len(in_kb))
    if not unsure:
        return 0.5
    return float(max(unsure[min(budget, len(unsure) - 1)], 0.0))


def figures(items: Sequence[Sample], answers: Answers, thresholds: Mapping[str, tuple[float, float]]) -> dict:
    """Ranking and decision figures of `answers`; `thresholds` per sample id (a fold's own, or the model's)."""
    rows = []
    for s in items:
        answer = answers[s.id]
        match, known = thresholds[s.id]
        decision: Decision = (
            "no_match"
            if not answer.ranked
            else "match"
            if answer.confidence >= match
            else "uncertain"
            if answer.known >= known
            else "no_match"
        )
        rows.append((s.expected, decision, answer.ranked))
    return decision_figures(rows)


def select_l2(items: Sequence[Sample], names: Sequence[str]) -> tuple[float, float, float]:
    """The regularisation that transfers best across families: the ranking's by mean reciprocal rank, then the
    confidence's and the known-bug model's by log-loss (ties go to the stronger)."""
    real = [s for s in items if s.real]

    def held_out(l2: tuple[float, float, float]) -> Answers:
        return by_family(items, lambda train: fit(train, names, l2))

    def mrr(answers: Answers) -> float:
        ranks = [answers[s.id].ranked.index(s.expected) + 1 for s in items if s.expected in answers[s.id].ranked]
        return round(sum(1.0 / r for r in ranks) / max(1, sum(1 for s in items if s.expected)), 4)

    def log_loss(pairs: Sequence[tuple[float, bool]]) -> float:
        return round(float(np.mean([-np.log(max(p if yes else 1.0 - p, 1e-9)) for p, yes in pairs])), 4)

    def confidence_loss(answers: Answers) -> float:
        return log_loss([(answers[s.id].confidence, answers[s.id].ranked[:1] == [s.expected]) for s in items])

    def known_loss(answers: Answers) -> float:
        return log_loss([(answers[s.id].known, s.expected is not None) for s in real])

    ranking = max(RANKING_L2, key=lambda r: (mrr(held_out((r, 1.0, 1.0))), r))
    confidence = min(CONFIDENCE_L2, key=lambda c: (confidence_loss(held_out((ranking, c, 1.0))), -c))
    known = min(KNOWN_L2, key=lambda k: (known_loss(held_out((ranking, confidence, k))), -k))
    return ranking, confidence, known


@dataclass(frozen=True)
class Calibration:
    """The fitted model and its figures: `fit` (the sets it was fit on), `grouped_cv` (and `fit <set>`,
    `grouped_cv <set>` per set when there are several), `thinned` and `grouped_cv thinned` (the answers replayed
    against knowledge bases of one bug per family) when fit on them, and `test <name>` per test set."""

    model: RankingModel
    figures: dict[str, dict]


def calibrate(
    results: Mapping[str, Sequence[tuple[LabelledQuery, Answer]]],
    info: FitInfo,
    targets: Mapping[str, Targets] | None = None,
    tests: Mapping[str, Sequence[tuple[LabelledQuery, Answer]]] | None = None,
    names: Sequence[str] = FEATURES,
    knowledge: Mapping[str, Sequence[tuple[str, str]]] | None = None,
) -> Calibration:
    """Fit the model on the labelled sets `results` (by name), with thresholds that keep each set's `targets` (default
    `Targets()`) on the answers of family-held-out models (what a new knowledge base sees) and on the fit, and measure
    it: on those sets together and each alone, grouped by family (each fold's models and thresholds fit on the other
    families only), and on each of `tests`. With the `knowledge` the sets were answered with (each bug's indexed
    (kind, text) rows), the ordering and the confidence are also fit on the answers thinned to one bug per family, whose
    figures are reported as `thinned` and `grouped_cv thinned`."""
    targets = {name: (targets or {}).get(name, Targets()) for name in results}
    all_names = (*names, "first")
    per_set = {name: samples(rows, all_names, name) for name, rows in results.items()}
    items = with_replays(with_variants_together([s for found in per_set.values() for s in found]), all_names)
    thinned = thinned_samples(results, knowledge, all_names) if knowledge else []
    items += thinned
    real = [s for s in items if s.real]
    l2 = select_l2(items, all_names)
    final = fit(items, all_names, l2)
    thresholds = both_ways(real, by_family(items, lambda train: fit(train, all_names, l2)), final, targets)
    model = as_model(final, thresholds, info)
    held_out, fold_thresholds = grouped_answers(items, all_names, l2, targets)
    measured = {"fit": model_figures(model, real)}
    several = per_set if len(per_set) > 1 else {}
    for name in several:
        measured[f"fit {name}"] = model_figures(model, [s for s in real if s.labelled_set == name])
    measured["grouped_cv"] = figures(real, held_out, fold_thresholds)
    for name in several:
        measured[f"grouped_cv {name}"] = figures([s for s in real if s.labelled_set == name], held_out, fold_thresholds)
    if thinned:
        measured["thinned"] = model_figures(model, thinned)
        measured["grouped_cv thinned"] = figures(thinned, held_out, fold_thresholds)
    for name, rows in (tests or {}).items():
        measured[f"test {name}"] = model_figures(model, samples(rows, all_names))
    l2_info = {"ranking": l2[0], "confidence": l2[1], "known": l2[2]}
    return Calibration(replace(model, fit=replace(info, figures=measured, l2=l2_info)), measured)


def model_figures(model: RankingModel, items: Sequence[Sample]) -> dict:
    """The figures of the model as the engine applies it (rounded weights and thresholds)."""
    answers: Answers = {}
    for s in items:
        vectors = [dict(zip(model.features, row, strict=True)) for row in s.x]
        order = sorted(range(len(s.bugs)), key=lambda i: -model.rank_score(vectors[i]))
        ranked = [vectors[i] for i in order]
        confidences = [model.probability(v) for v in ranked]
        known = model.known_probability(ranked, confidences) if ranked else 0.0
        answers[s.id] = Answered([s.bugs[i] for i in order], against_rivals(confidences), known)
    bounds = (model.match_threshold, model.known_threshold)
    return figures(items, answers, dict.fromkeys([s.id for s in items], bounds))


def grouped_answers(
    items: Sequence[Sample], names: Sequence[str], l2: tuple[float, float, float], targets: Mapping[str, Targets]
) -> tuple[Answers, dict[str, tuple[float, float]]]:
    """Leave one family out: its queries (real and thinned) answered by models and thresholds fit on the other
    families only."""
    answers: Answers = {}
    thresholds: dict[str, tuple[float, float]] = {}
    for held in sorted({family_of(s) for s in items}):
        train = [s for s in items if family_of(s) != held]
        model = fit(train, names, l2)
        inner = by_family(train, lambda t: fit(t, names, l2))
        fold = both_ways([s for s in train if s.real], inner, model, targets)
        for s in items:
            if family_of(s) == held and s.made != REPLAY:
                answers[s.id], thresholds[s.id] = model.answer(s), fold
    return answers, thresholds


def as_model(fitted: Fitted, thresholds: tuple[float, float], info: FitInfo) -> RankingModel:
    """The model file's contents."""
    names = fitted.names
    return RankingModel(
        features=names,
        # features the same for every candidate of a query (has_shown...) cannot order them: their weight is 0
        ranking={n: round(float(w), 4) for n, w in zip(names, fitted.ranking, strict=True) if round(float(w), 4)},
        confidence={
            n: round(float(w), 4) for n, w in zip(names, fitted.confidence, strict=True) if n not in RANKING_ONLY
        },
        bias=round(fitted.bias, 4),
        match_threshold=round(thresholds[0], 4),
        known={n: round(float(w), 4) for n, w in zip(fitted.known_names, fitted.known, strict=True)},
        known_bias=round(fitted.known_bias, 4),
        known_threshold=round(thresholds[1], 4),
        fit=info,
    )
