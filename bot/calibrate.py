"""Fit the confidence model and the decision thresholds on a labelled query set."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bot.evaluate import LabelledQuery
from bot.records import Answer

FEATURES = (
    "dense",
    "dense_margin",
    "fts",
    "rerank",
    "coverage",
    "screen",
    "voice",
    "screen_overlap",
    "screen_f1",
    "screen_overlap_log",
    "codes_shared",
    "codes_clash",
    "first",
)


RANKING_FEATURES = tuple(f for f in FEATURES if f != "first")  # the ranking model may overrule the fused rank
# The ranking model is shrunk hard: in bug-grouped cross-validation on the dev set, L2 strengths from 5 to 50 gave
# the same, best figures (1 overfits to a few near-duplicate pairs; 200 and up start to cost out-of-KB decisions).
RANKING_L2 = 20.0


@dataclass(frozen=True)
class Calibration:
    """Weights of the ranking model, of the logistic confidence model, and the two decision thresholds."""

    ranking_weights: dict[str, float]
    weights: dict[str, float]
    bias: float
    match_threshold: float
    uncertain_threshold: float

    def toml(self) -> str:
        return (
            f"ranking_weights = {inline_table(self.ranking_weights)}\n"
            f"confidence_weights = {inline_table(self.weights)}\nconfidence_bias = {self.bias:.4f}\n"
            f"match_threshold = {self.match_threshold:.4f}\nuncertain_threshold = {self.uncertain_threshold:.4f}\n"
        )


def inline_table(weights: dict[str, float]) -> str:
    return "{ " + ", ".join(f'"{k}" = {v:.4f}' for k, v in weights.items()) + " }"


def samples(results: Sequence[tuple[LabelledQuery, Answer]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One row per (query, candidate): features, whether it is the expected bug, and the query's index."""
    rows, labels, groups = [], [], []
    for number, (query, answer) in enumerate(results):
        for match in answer.matches:
            rows.append([match.features.get(name, 0.0) for name in FEATURES])
            labels.append(float(match.bug.id == query.expected))
            groups.append(number)
    return np.asarray(rows, dtype=np.float64), np.asarray(labels), np.asarray(groups)


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1.0, steps: int = 50) -> tuple[np.ndarray, float]:
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


def best_confidences(
    x: np.ndarray, groups: np.ndarray, weights: np.ndarray, bias: float, ranking: np.ndarray
) -> dict[int, tuple[float, int]]:
    """Per query: the confidence of the candidate the ranking model puts first, and the row it belongs to."""
    z = 1.0 / (1.0 + np.exp(-np.clip(x @ weights + bias, -30, 30)))
    scores = x @ ranking
    first: dict[int, int] = {}
    for row, group in enumerate(groups):
        if group not in first or scores[row] > scores[first[group]]:
            first[int(group)] = row
    return {group: (float(z[row]), row) for group, row in first.items()}


def choose_thresholds(
    best: dict[int, tuple[float, int]], labels: np.ndarray, in_kb: set[int], precision: float, max_in_kb_no_match: float
) -> tuple[float, float]:
    """The lowest match threshold keeping `precision`; the highest uncertain threshold within the no-match budget."""
    values = sorted({v for v, _ in best.values()}, reverse=True)
    match = 1.0
    for t in values:
        chosen = [labels[row] for v, row in best.values() if v >= t]
        if chosen and np.mean(chosen) >= precision:
            match = t
    in_values = sorted(v for g, (v, _) in best.items() if g in in_kb)
    budget = int(max_in_kb_no_match * len(in_values))
    uncertain = in_values[budget] if in_values and budget < len(in_values) else 0.0
    return float(match), float(min(uncertain, match))


def calibrate(
    results: Sequence[tuple[LabelledQuery, Answer]], precision: float = 0.98, max_in_kb_no_match: float = 0.08
) -> Calibration:
    """Fit both models on every (query, candidate) pair, then thresholds on the confidence of each query's
    first-ranked candidate. The features are those computed in fused order, as the matcher computes them."""
    x, y, groups = samples(results)
    weights, bias = fit_logistic(x, y)
    kept = [FEATURES.index(f) for f in RANKING_FEATURES]
    fitted = fit_logistic(x[:, kept], y, l2=RANKING_L2)[0]  # a ranking needs no bias: only the order counts
    ranking = np.zeros(len(FEATURES))
    ranking[kept] = fitted
    best = best_confidences(x, groups, weights, bias, ranking)
    in_kb = {n for n, (q, _) in enumerate(results) if q.expected}
    match, uncertain = choose_thresholds(best, y, in_kb, precision, max_in_kb_no_match)
    return Calibration(
        dict(zip(RANKING_FEATURES, map(float, fitted), strict=True)),
        dict(zip(FEATURES, map(float, weights), strict=True)),
        bias,
        match,
        uncertain,
    )
