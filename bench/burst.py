"""A burst of 50 concurrent queries against the engine (issue 5): throughput, latency, CPU, RSS, correctness.

Builds (or reuses) the dev-set index in a data dir of its own, warms the matcher, then for each pool size
submits the whole burst at once to a `ThreadPoolExecutor(max_workers=n)` — the kind of bounded pool the Slack
responder runs the engine in (`Settings.slack_workers`) — and times every query: queueing delay (submit → a
worker starts it), service time (`matcher.match`) and total latency (submit → answer). The 1-worker burst
runs each query alone; every other pool's top bugs must equal its answers.

    HF_HUB_OFFLINE=1 .venv/bin/python -m bench.burst
    HF_HUB_OFFLINE=1 .venv/bin/python -m bench.burst --pools 3,4 --count 20 --data-dir "$(mktemp -d)"
"""

from __future__ import annotations

import argparse
import math
import os
import random
import resource
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from bench.devset import DEV_SET  # noqa: E402
from bot.evaluate import LabelledQuery, load_queries, to_query  # noqa: E402
from bot.matcher import Matcher  # noqa: E402
from bot.memory import limit_arenas  # noqa: E402
from bot.records import Query  # noqa: E402
from bot.refresh import build_refresher  # noqa: E402
from bot.settings import Settings, load_settings  # noqa: E402

STAGES = ("decode", "ocr", "asr", "embed", "search", "decide")


@dataclass(frozen=True)
class Outcome:
    """One query of a burst: its timings in seconds and what the engine answered."""

    kind: str
    queued: float
    service: float
    total: float
    top: str | None = None
    stages_ms: dict[str, float] = field(default_factory=dict)
    error: str | None = None


@dataclass(frozen=True)
class Burst:
    """One burst through a pool of `workers`: wall and CPU seconds, memory and load around it."""

    workers: int
    wall: float
    cpu: float
    rss_before_mb: float
    rss_after_mb: float
    sampled_peak_mb: float
    peak_rss_mb: float
    threads: int
    load: tuple[float, float]
    outcomes: list[Outcome]


def burst_mix(queries: list[LabelledQuery], count: int, seed: int) -> list[LabelledQuery]:
    """`count` queries in the dev set's proportions of kinds (largest remainder), in a seeded order."""
    by_kind: dict[str, list[LabelledQuery]] = defaultdict(list)
    for query in queries:
        by_kind[query.kind].append(query)
    shares = {kind: count * len(items) / len(queries) for kind, items in by_kind.items()}
    wanted = {kind: int(share) for kind, share in shares.items()}
    for kind in sorted(shares, key=lambda k: wanted[k] - shares[k])[: count - sum(wanted.values())]:
        wanted[kind] += 1
    rng = random.Random(seed)
    mix = [query for kind in sorted(by_kind) for query in rng.sample(by_kind[kind], wanted[kind])]
    rng.shuffle(mix)
    return mix


def load_engine(settings: Settings) -> tuple[Matcher, str]:
    """The matcher over an up-to-date index, warmed; and a line saying what that took."""
    started = time.monotonic()
    matcher = Matcher.from_settings(settings)
    report = build_refresher(settings, matcher.embedder, matcher.extractor).refresh()
    matcher.warm()
    built = report.added + report.updated
    exported = "torch" in sys.modules and getattr(matcher.embedder, "backend", "torch") != "torch"
    note = (
        "; RSS below includes an index build or ONNX export, run again for clean figures" if built or exported else ""
    )
    return matcher, f"engine ready in {time.monotonic() - started:.1f}s ({built} entries built{note})"


def prime(matcher: Matcher, mix: list[LabelledQuery]) -> None:
    """Answer one query of each kind, untimed, so lazy per-index state (vocabulary, lexicon) is not in burst 1."""
    for query in {q.kind: q for q in mix}.values():
        matcher.match(to_query(query))


def answer(matcher: Matcher, kind: str, query: Query, submitted: float) -> Outcome:
    """Run one query in a worker and time it; an exception is recorded, not raised."""
    started = time.perf_counter()
    try:
        result = matcher.match(query)
    except Exception as err:  # noqa: BLE001 - a failure under concurrency is a finding, not a crash
        ended = time.perf_counter()
        return Outcome(kind, started - submitted, ended - started, ended - submitted, error=repr(err))
    ended = time.perf_counter()
    top = result.best.bug.id if result.best else None
    return Outcome(kind, started - submitted, ended - started, ended - submitted, top, result.timings_ms)


class Sampler:
    """Samples the process's RSS and OS thread count while a burst runs; keeps the peaks."""

    def __init__(self, every: float = 0.2) -> None:
        self.every = every
        self.rss_mb = rss_mb()
        self.threads = os_threads()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.rss_mb = max(self.rss_mb, rss_mb())
            self.threads = max(self.threads, os_threads())


def run_burst(matcher: Matcher, mix: list[LabelledQuery], workers: int) -> Burst:
    """Submit every query at once to a pool of `workers` threads and wait for all answers."""
    queries = [(item.kind, to_query(item)) for item in mix]
    load_before, rss_before, cpu_before = os.getloadavg()[0], rss_mb(), cpu_seconds()
    started = time.perf_counter()
    with Sampler() as sampler, ThreadPoolExecutor(max_workers=workers, thread_name_prefix="burst") as pool:
        futures = [pool.submit(answer, matcher, kind, query, time.perf_counter()) for kind, query in queries]
        outcomes = [future.result() for future in futures]
    wall = time.perf_counter() - started
    return Burst(
        workers,
        wall,
        cpu_seconds() - cpu_before,
        rss_before,
        rss_mb(),
        sampler.rss_mb,
        peak_rss_mb(),
        sampler.threads,
        (load_before, os.getloadavg()[0]),
        outcomes,
    )


def cpu_seconds() -> float:
    """User + system CPU seconds of this process, all threads."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_rss_mb() -> float:
    """The process's peak resident set so far (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def proc_status(key: str) -> int:
    """An integer field of /proc/self/status (VmRSS in KiB, Threads)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def rss_mb() -> float:
    """The process's resident set now, in MB."""
    return proc_status("VmRSS") / 1024


def os_threads() -> int:
    """OS threads of this process now (workers plus the models' intra-op pools)."""
    return proc_status("Threads")


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (p95 of 50 values is the 48th smallest)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)] if ordered else 0.0


def mismatches(burst: Burst, alone: Burst) -> list[str]:
    """Queries whose top bug (or error) differs from the same query's answer when run alone."""
    pairs = enumerate(zip(burst.outcomes, alone.outcomes, strict=True))
    return [
        f"#{n} {got.kind}: {got.top or got.error} vs alone {want.top or want.error}"
        for n, (got, want) in pairs
        if got.top != want.top or got.error != want.error
    ]


def summary_row(burst: Burst, alone: Burst) -> str:
    """One markdown row: throughput, latency and service percentiles, CPU, memory, load, correctness."""
    total = [o.total for o in burst.outcomes]
    service = [o.service for o in burst.outcomes]
    queued = [o.queued for o in burst.outcomes]
    errors = sum(o.error is not None for o in burst.outcomes)
    cells = [
        f"{burst.workers}",
        f"{burst.wall:.1f}",
        f"{len(total) / burst.wall:.2f}",
        f"{percentile(total, 50):.1f} / {percentile(total, 95):.1f} / {max(total):.1f}",
        f"{percentile(service, 50):.2f} / {percentile(service, 95):.2f} / {max(service):.2f}",
        f"{percentile(queued, 95):.1f}",
        f"{burst.cpu:.1f} ({burst.cpu / burst.wall:.2f})",
        f"{burst.rss_before_mb:.0f} / {burst.sampled_peak_mb:.0f} / {burst.rss_after_mb:.0f}",
        f"{burst.peak_rss_mb:.0f}",
        f"{burst.threads}",
        f"{burst.load[0]:.1f} → {burst.load[1]:.1f}",
        f"{len(mismatches(burst, alone))} / {errors}",
    ]
    return "| " + " | ".join(cells) + " |"


SUMMARY_HEAD = (
    "| workers | wall s | queries/s | total latency p50 / p95 / max s | service p50 / p95 / max s "
    "| queueing p95 s | CPU s (CPU/wall) | RSS before / peak during / after MB | ru_maxrss MB | peak OS threads "
    "| load 1-min before → after | mismatches / errors |\n|" + "---|" * 12
)


def kind_table(bursts: list[Burst]) -> list[str]:
    """Per kind: how many queries, and p95 service time in each pool."""
    kinds = sorted({o.kind for o in bursts[0].outcomes})
    lines = ["| kind | n | " + " | ".join(f"p95 service s, {b.workers} w" for b in bursts) + " |"]
    lines.append("|" + "---|" * (len(bursts) + 2))
    for kind in kinds:
        per_pool = [[o.service for o in b.outcomes if o.kind == kind] for b in bursts]
        lines.append(
            f"| {kind} | {len(per_pool[0])} | " + " | ".join(f"{percentile(v, 95):.2f}" for v in per_pool) + " |"
        )
    return lines


def stage_table(bursts: list[Burst]) -> list[str]:
    """Per pool: the engine's own stage times (`timings_ms`) summed over the burst, in seconds."""
    lines = [
        "| workers | " + " | ".join(f"Σ {s} s" for s in STAGES) + " | Σ match s |",
        "|" + "---|" * (len(STAGES) + 2),
    ]
    for burst in bursts:
        sums = [sum(o.stages_ms.get(s, 0.0) for o in burst.outcomes) / 1000 for s in (*STAGES, "total")]
        lines.append(f"| {burst.workers} | " + " | ".join(f"{v:.1f}" for v in sums) + " |")
    return lines


def report(bursts: list[Burst], mix: list[LabelledQuery]) -> str:
    """The markdown tables for docs/PERFORMANCE.md, plus any mismatch or error in full."""
    counts = Counter(query.kind for query in mix)
    lines = [
        f"burst of {len(mix)}: " + ", ".join(f"{n} {k}" for k, n in sorted(counts.items())),
        "",
        SUMMARY_HEAD,
        *(summary_row(b, bursts[0]) for b in bursts),
        "",
        *kind_table(bursts),
        "",
        *stage_table(bursts),
    ]
    for burst in bursts:
        errors = [f"#{n} {o.kind}: {o.error}" for n, o in enumerate(burst.outcomes) if o.error]
        for line in mismatches(burst, bursts[0])[:10] + errors[:10]:
            lines.append(f"{burst.workers} workers: {line}")
    return "\n".join(lines)


def thread_settings(matcher: Matcher) -> str:
    """The thread counts in force: pool size × intra-op threads per model call is what shares the cores."""
    settings = matcher.settings
    backend = getattr(matcher.embedder, "backend", settings.embed_backend)
    torch = sys.modules.get("torch")  # not imported here when the embedder runs on ONNX Runtime
    torch_threads = torch.get_num_threads() if torch is not None else "not loaded"
    return (
        f"{os.cpu_count()} CPUs; embed backend {backend}, settings.threads={settings.threads} "
        f"(OCR intra-op, whisper cpu_threads), torch intra-op={torch_threads}, slack_workers={settings.slack_workers}"
    )


def parse_args() -> argparse.Namespace:
    """The command line: where the dev set and the index live, burst size, extra pool sizes."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--knowledge", type=Path, default=DEV_SET / "knowledge")
    parser.add_argument("--queries", type=Path, default=DEV_SET / "queries.jsonl")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="Index of its own (default: a new temporary folder).",
    )
    parser.add_argument("--count", type=int, default=50, help="Queries in the burst.")
    parser.add_argument("--pools", default="4", help="Pool sizes besides 1 (the reference) and slack_workers.")
    parser.add_argument("--seed", type=int, default=5)
    return parser.parse_args()


def main() -> None:
    """Load and warm the engine once, then run the same burst through each pool size and print the tables."""
    limit_arenas()  # as `supportbot` does before any thread starts
    args = parse_args()
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="supportbot-burst-"))
    settings = load_settings(knowledge_dir=args.knowledge, data_dir=data_dir)
    pools = sorted({1, settings.slack_workers, *(int(p) for p in args.pools.split(",") if p)})
    mix = burst_mix(load_queries(args.queries), args.count, args.seed)
    matcher, ready = load_engine(settings)
    prime(matcher, mix)
    print(ready, "|", thread_settings(matcher), f"| peak RSS after warm-up {peak_rss_mb():.0f} MB", flush=True)
    bursts = []
    for workers in pools:
        bursts.append(run_burst(matcher, mix, workers))
        print(f"pool of {workers}: {bursts[-1].wall:.1f}s", flush=True)
    print(report(bursts, mix))


if __name__ == "__main__":
    main()
