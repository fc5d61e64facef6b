"""Score the engine on a labelled query set: ranking quality, decisions and latency."""

from __future__ import annotations

import json
import resource
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import numpy as np

from bot.errors import BotError
from bot.records import Answer, Attachment, Query

if TYPE_CHECKING:
    from bot.matcher import Matcher


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
    matcher: Matcher,
    queries: list[LabelledQuery],
    progress: Callable[[Iterable[Any]], Iterable[Any]],
    details: TextIO | None = None,
) -> dict[str, Any]:
    """Answer every query and return the metrics report (see `summarise`); with `details`, write one JSON line per
    query there as it is answered (see `detail`)."""
    results = answer_all(matcher, queries, progress, details)
    return summarise(results)


def answer_all(
    matcher: Matcher,
    queries: list[LabelledQuery],
    progress: Callable[[Iterable[Any]], Iterable[Any]],
    details: TextIO | None = None,
) -> list[tuple[LabelledQuery, Answer]]:
    """Every query with the engine's answer."""
    results = []
    for item in progress(queries):
        answer = matcher.match(to_query(item))
        results.append((item, answer))
        if details is not None:
            details.write(json.dumps(detail(item, answer)) + "\n")
    return results


def detail(item: LabelledQuery, answer: Answer) -> dict[str, Any]:
    """What one query was and what the engine made of it: its inputs' text, the decision (with the first candidate's
    confidence and the known-bug probability), the top candidates with their features, and the time each stage
    took."""
    return {
        "id": item.id,
        "kind": item.kind,
        "expected": item.expected,
        "decision": answer.decision,
        "confidence": answer.confidence,
        "known": answer.known,
        "matches": [
            {"bug_id": m.bug.id, "score": m.score, "features": {k: round(v, 4) for k, v in m.features.items()}}
            for m in answer.matches[:5]
        ],
        "inputs": [
            {"name": i.name, "kind": i.kind, "text": i.text, "error": i.error, "note": i.note} for i in answer.inputs
        ],
        "timings_ms": answer.timings_ms,
    }


def rank_of(answer: Answer, expected: str) -> int | None:
    ids = [m.bug.id for m in answer.matches]
    return ids.index(expected) + 1 if expected in ids else None


def summarise(results: list[tuple[LabelledQuery, Answer]]) -> dict[str, Any]:
    """Recall@1/5, MRR, decision rates and latency, overall and by kind."""
    rows = [(q.expected, a.decision, [m.bug.id for m in a.matches]) for q, a in results]
    by_kind: dict[str, list[int | None]] = defaultdict(list)
    for q, a in results:
        if q.expected:
            by_kind[q.kind].append(rank_of(a, q.expected))
    return {
        **decision_figures(rows),
        "by_kind": {k: {"n": len(v), **ranking_metrics(v)} for k, v in sorted(by_kind.items())},
        "decisions": dict(sorted(_count(a.decision for _, a in results).items())),
        "confusions": confusions(rows),
        "latency_ms": latency(results),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def decision_figures(rows: Sequence[tuple[str | None, str, Sequence[str]]]) -> dict[str, Any]:
    """Ranking and decision figures of (expected bug or None, decision, bug ids best first) rows."""
    in_kb = [r for r in rows if r[0]]
    out_kb = [r for r in rows if not r[0]]
    ranks = [list(ids).index(expected) + 1 if expected and expected in ids else None for expected, _, ids in in_kb]
    matched = [(expected, ids) for expected, decision, ids in rows if decision == "match"]
    return {
        "queries": len(rows),
        **ranking_metrics(ranks),
        "match_precision": ratio(sum(1 for expected, ids in matched if ids[:1] == [expected]), len(matched)),
        "no_match_rate_in_kb": ratio(sum(1 for r in in_kb if r[1] == "no_match"), len(in_kb)),
        "no_match_rate_out_of_kb": ratio(sum(1 for r in out_kb if r[1] == "no_match"), len(out_kb)),
    }


def confusions(rows: Sequence[tuple[str | None, str, Sequence[str]]], limit: int = 10) -> list[dict[str, Any]]:
    """The most frequent wrong answers: expected bug (None: not in the knowledge base) → the bug answered first
    (None: nothing), when the answer was not right, most frequent first."""
    counts: dict[tuple[str | None, str | None], int] = defaultdict(int)
    for expected, decision, ids in rows:
        answered = ids[0] if ids and decision != "no_match" else None
        if answered != expected:
            counts[(expected, answered)] += 1
    ordered = sorted(counts.items(), key=lambda item: (-item[1], str(item[0])))
    return [{"expected": e, "answered": a, "count": n} for (e, a), n in ordered[:limit]]


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
