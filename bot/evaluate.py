"""Score the engine on a labelled query set: ranking quality, decisions and latency."""

from __future__ import annotations

import json
import resource
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bot.errors import BotError
from bot.matcher import Matcher
from bot.records import Answer, Attachment, Query


@dataclass(frozen=True)
class LabelledQuery:
    """One line of a queries file."""

    id: str
    text: str
    files: tuple[Path, ...]
    expected: str | None
    kind: str


def load_queries(path: Path) -> list[LabelledQuery]:
    """Read a JSON-lines queries file; `files` are relative to the file's folder."""
    queries = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            files = tuple(path.parent / f for f in row.get("files", []))
            queries.append(
                LabelledQuery(str(row["id"]), row.get("text") or "", files, row.get("expected"), row.get("kind", ""))
            )
        except (ValueError, KeyError, TypeError) as err:
            raise BotError(f"{path}:{number} is not a valid query line ({err}); fix it and run again.") from err
    return queries


def to_query(item: LabelledQuery) -> Query:
    return Query(text=item.text, attachments=tuple(Attachment(f.name, f.read_bytes()) for f in item.files))


def run_eval(
    matcher: Matcher, queries: list[LabelledQuery], progress: Callable[[Iterable[Any]], Iterable[Any]]
) -> dict[str, Any]:
    """Answer every query and return the metrics report (see `summarise`)."""
    results = [(item, matcher.match(to_query(item))) for item in progress(queries)]
    return summarise(results)


def rank_of(answer: Answer, expected: str) -> int | None:
    ids = [m.bug.id for m in answer.matches]
    return ids.index(expected) + 1 if expected in ids else None


def summarise(results: list[tuple[LabelledQuery, Answer]]) -> dict[str, Any]:
    """Recall@1/5, MRR, decision rates and latency, overall and by kind."""
    in_kb = [(q, a) for q, a in results if q.expected]
    out_kb = [(q, a) for q, a in results if not q.expected]
    ranks = [rank_of(a, q.expected) for q, a in in_kb if q.expected]
    matched = [(q, a) for q, a in results if a.decision == "match"]
    by_kind: dict[str, list[int | None]] = defaultdict(list)
    for (q, _), rank in zip(in_kb, ranks, strict=True):
        by_kind[q.kind].append(rank)
    return {
        "queries": len(results),
        **ranking_metrics(ranks),
        "match_precision": ratio(sum(1 for q, a in matched if a.best and a.best.bug.id == q.expected), len(matched)),
        "no_match_rate_in_kb": ratio(sum(1 for _, a in in_kb if a.decision == "no_match"), len(in_kb)),
        "no_match_rate_out_of_kb": ratio(sum(1 for _, a in out_kb if a.decision == "no_match"), len(out_kb)),
        "by_kind": {k: {"n": len(v), **ranking_metrics(v)} for k, v in sorted(by_kind.items())},
        "decisions": dict(sorted(_count(a.decision for _, a in results).items())),
        "latency_ms": latency(results),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def ranking_metrics(ranks: list[int | None]) -> dict[str, float]:
    n = len(ranks)
    return {
        "recall_at_1": ratio(sum(1 for r in ranks if r == 1), n),
        "recall_at_5": ratio(sum(1 for r in ranks if r is not None and r <= 5), n),
        "mrr": round(sum(1.0 / r for r in ranks if r) / n, 4) if n else 0.0,
    }


def latency(results: list[tuple[LabelledQuery, Answer]]) -> dict[str, Any]:
    totals = [a.timings_ms.get("total", 0.0) for _, a in results]
    stages: dict[str, list[float]] = defaultdict(list)
    kinds: dict[str, list[float]] = defaultdict(list)
    for (q, a), total in zip(results, totals, strict=True):
        kinds[q.kind].append(total)
        for stage, ms in a.timings_ms.items():
            if stage != "total":
                stages[stage].append(ms)
    return {
        **percentiles(totals),
        "by_stage": {s: percentiles(v) for s, v in sorted(stages.items())},
        "by_kind": {k: percentiles(v) for k, v in sorted(kinds.items())},
    }


def percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {"p50": 0.0, "p95": 0.0}
    return {"p50": round(float(np.percentile(values, 50)), 1), "p95": round(float(np.percentile(values, 95)), 1)}


def ratio(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def _count(items: Iterable[str]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for item in items:
        counts[item] += 1
    return counts
