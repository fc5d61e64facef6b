"""Benchmark the store on SQLite (the default) and on PostgreSQL (a throwaway local server, as the tests start it).

For each: opening it (migrations included), a delivery claim, storing an answer (redaction included),
reading it back, a button press, and the stats query over everything stored; p50/p95 ms per operation,
from one thread, then the claim again from 8 threads at once.

    .venv/bin/python bench/bench_store.py [--answers 300] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.settings import Settings  # noqa: E402
from bot.slack.claims import SlackStore  # noqa: E402
from bot.store import AnswerRecord, CandidateRecord, InputRecord  # noqa: E402
from tests.postgres_server import local_postgres  # noqa: E402

SCREEN = "\n".join(
    [
        "Traceback (most recent call last):",
        '  File "/srv/app/orders/checkout.py", line 87, in submit',
        "    raise GatewayError(response.status)",
        "orders.errors.GatewayError: 502 Bad Gateway from payments.internal:8443",
        "request id 550e8400-e29b-41d4-a716-446655440000 at 2026-12-01T11:36:03Z",
    ]
    * 4
)


def record(n: int) -> AnswerRecord:
    inputs = (InputRecord("message", "text", f"checkout broken again ({n})"), InputRecord("shot.png", "image", SCREEN))
    candidates = tuple(
        CandidateRecord(f"bug-{k}", f"Bug {k}", 0.9 - k / 10, "502 Bad Gateway <- bug.md") for k in range(5)
    )
    return AnswerRecord(uuid.uuid4().hex, "message", f"C{n % 7}", f"U{n % 13}", "match", 0.9, inputs, candidates)


def timed(call: Callable[[], Any]) -> float:
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1000.0


def percentiles(ms: list[float]) -> dict[str, float]:
    ms = sorted(ms)
    return {"p50": round(statistics.median(ms), 2), "p95": round(ms[int(0.95 * (len(ms) - 1))], 2)}


def measure(settings: Settings, answers: int) -> dict[str, Any]:
    started = time.perf_counter()
    store = SlackStore.open(settings)
    opened = (time.perf_counter() - started) * 1000.0
    store.redactor.redact("warm up")  # the detector is built on the first write; not part of any operation
    records = [record(n) for n in range(answers)]

    result = {
        "open_ms": round(opened, 1),
        "claim": percentiles([timed(partial(store.claim, f"msg:C1:{n}.0", 600)) for n in range(answers)]),
        "record_answer": percentiles([timed(partial(store.record_answer, r)) for r in records]),
        "answer": percentiles([timed(partial(store.answer, r.id)) for r in records]),
        "record_feedback": percentiles(
            [timed(partial(store.record_feedback, r.id, r.user, "fixed", "bug-0")) for r in records]
        ),
        "stats": percentiles([timed(lambda: store.stats(7)) for _ in range(20)]),
    }
    with ThreadPoolExecutor(8) as pool:
        result["claim_8_threads"] = percentiles(
            list(pool.map(lambda n: timed(lambda: store.claim(f"race:{n // 8}", 600)), range(answers * 8)))
        )
    store.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--answers", type=int, default=300)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        results["sqlite"] = measure(Settings(data_dir=Path(tmp)), args.answers)
    with local_postgres() as server, tempfile.TemporaryDirectory() as tmp:
        results["postgresql"] = measure(Settings(data_dir=Path(tmp), state_url=server.new_database()), args.answers)
    if args.json:
        print(json.dumps(results, indent=2))
        return
    for name, found in results.items():
        print(f"{name}: open {found['open_ms']} ms (migrations included)")
        for op in ("claim", "claim_8_threads", "record_answer", "answer", "record_feedback", "stats"):
            print(f"  {op:16s} p50 {found[op]['p50']:7.2f} ms  p95 {found[op]['p95']:7.2f} ms")


if __name__ == "__main__":
    main()
