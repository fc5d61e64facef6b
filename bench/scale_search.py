"""Build LanceDB tables of 10k/100k/1M synthetic known-bug rows and measure search on them.

    python -m bench.scale_search --sizes 10k,100k --dir scratch/ann
    python -m bench.scale_search --sizes 1m --dir scratch/ann          # alone: ~25 min, ~3 GB disk
    python -m bench.scale_search --sizes 100k --dir scratch/ann --reuse --sweep 8/5,16/10,32/20  # re-query, other knobs

Per size it prints build time (data, ANN index, FTS + bitmap indexes), disk size, p50/p95 latency of
exact, vector, FTS, hybrid (vector + FTS, RRF-fused) and filtered vector search, recall@10 of the ANN
search (and of the filtered one) against `bypass_vector_index()`, and peak RSS of the build and of the
query process. The index comes from `bot.ann.choose_ann_index` (its partitions overridable by a flag). Build and
query run in fresh `spawn` processes (LanceDB is not fork-safe), so each peak RSS is its own.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import shutil
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any, cast

import numpy as np
import pyarrow as pa

from bench.synth import DIM, batches, make_corpus, make_queries
from bot.ann import AnnConfig, choose_ann_index

SIZES = {"10k": 10_000, "100k": 100_000, "1m": 1_000_000}
COLUMNS = ["bug_id", "kind", "text"]
VEC_COLUMNS = [*COLUMNS, "_distance"]


def peak_rss_mb() -> float:
    """Peak resident set size of this process, in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def dir_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20


def _minilm() -> Any:
    from sentence_transformers import SentenceTransformer

    from bench.devset import minilm_path

    model = SentenceTransformer(minilm_path(), device="cpu")
    return lambda texts: model.encode(texts, batch_size=64, normalize_embeddings=True)


def _embedded(source: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """The same batches with synthetic vectors replaced by real MiniLM embeddings of their text."""
    encode = _minilm()
    for batch in source:
        vecs = encode(batch.column("text").to_pylist()).astype(np.float32)
        column = pa.FixedSizeListArray.from_arrays(pa.array(vecs.ravel()), DIM)
        yield batch.set_column(batch.schema.get_field_index("vector"), "vector", column)


def build(uri: str, name: str, rows: int, cfg: AnnConfig | None, real: bool = False) -> dict[str, Any]:
    """Write the table, then its ANN, FTS and bitmap indexes; return timings and sizes."""
    import lancedb
    from lancedb.index import FTS, Bitmap

    db = lancedb.connect(uri)
    corpus = make_corpus(rows)
    first = next(batches(corpus, 1))
    data = _embedded(batches(corpus, 5_000)) if real else batches(corpus)
    t0 = time.perf_counter()
    table = db.create_table(name, data=data, schema=first.schema, mode="overwrite")
    t1 = time.perf_counter()
    if cfg is not None:
        table.create_index("vector", **cfg.index_kwargs())
    t2 = time.perf_counter()
    table.create_index("text", config=FTS())
    table.create_index("product", config=Bitmap())
    t3 = time.perf_counter()
    return {
        "data_s": t1 - t0,
        "ann_s": t2 - t1,
        "fts_s": t3 - t2,
        "build_s": t3 - t0,
        "disk_mb": dir_mb(Path(uri) / f"{name}.lance"),
        "build_rss_mb": peak_rss_mb(),
    }


def _ms(fn: Any, items: list[Any]) -> tuple[list[Any], np.ndarray]:
    """Run `fn` on each item; return the results and the latencies in ms."""
    out, times = [], []
    for item in items:
        t = time.perf_counter()
        out.append(fn(item))
        times.append((time.perf_counter() - t) * 1000)
    return out, np.array(times)


def _p(times: np.ndarray) -> tuple[float, float]:
    if not len(times):
        return float("nan"), float("nan")
    return float(np.percentile(times, 50)), float(np.percentile(times, 95))


def _recall(got: list[set[int]], want: list[set[int]]) -> float:
    return float(np.mean([len(g & w) / max(len(w), 1) for g, w in zip(got, want, strict=True)]))


def _ids(query: Any, k: int) -> set[int]:
    return set(query.limit(k).select(["id", "_distance"]).to_arrow()["id"].to_pylist())


def measure(
    uri: str,
    name: str,
    rows: int,
    cfgs: list[AnnConfig | None],
    n: int,
    limit: int,
    real: bool = False,
    recall: bool = True,
) -> list[dict]:
    """Latency and recall of each query-time variant in `cfgs` on an existing table."""
    import lancedb
    from lancedb.table import LanceTable

    # a local table, whose search() is typed by query kind (Table's returns the base query builder)
    table = cast(LanceTable, lancedb.connect(uri).open_table(name))
    qs = make_queries(make_corpus(rows), n)
    idx = list(range(n))
    vec = list(_minilm()(qs.texts)) if real else [qs.vectors[i] for i in idx]
    flt = [f"product = '{qs.products[i]}'" for i in idx]

    def exact(i: int, where: str | None = None) -> Any:
        q = table.search(vec[i]).distance_type("cosine").bypass_vector_index()
        return q.where(where, prefilter=True) if where else q

    for i in idx[:10]:  # warm caches
        (exact(i) if recall else table.search(vec[i])).limit(limit).to_arrow()
    truth, t_exact = _ms(lambda i: _ids(exact(i), 10), idx if recall else [])
    truth_f = [_ids(exact(i, flt[i]), 10) for i in idx] if recall else []
    _, t_fts = _ms(lambda i: table.search(qs.texts[i], query_type="fts").limit(limit).select(COLUMNS).to_arrow(), idx)
    base = {"exact": _p(t_exact), "fts": _p(t_fts)}
    results = []
    for cfg in cfgs:

        def ann(i: int, c: AnnConfig | None = cfg) -> Any:
            q = table.search(vec[i])
            return c.apply(q) if c else q.distance_type("cosine")

        def hybrid(i: int, c: AnnConfig | None = cfg) -> Any:
            q = table.search(query_type="hybrid").vector(vec[i]).text(qs.texts[i])
            q = c.apply(q) if c else q.distance_type("cosine")
            return q.limit(limit).select(COLUMNS).to_arrow()

        for i in idx[:10]:
            hybrid(i)
        got = [_ids(ann(i), 10) for i in idx] if recall else []
        got_f = [_ids(ann(i).where(flt[i], prefilter=True), 10) for i in idx] if recall else []
        _, t_vec = _ms(lambda i, a=ann: a(i).limit(limit).select(VEC_COLUMNS).to_arrow(), idx)
        _, t_hyb = _ms(hybrid, idx)
        _, t_flt = _ms(
            lambda i, a=ann: a(i).where(flt[i], prefilter=True).limit(limit).select(VEC_COLUMNS).to_arrow(), idx
        )
        results.append(
            {
                **base,
                "cfg": cfg,
                "vector": _p(t_vec),
                "hybrid": _p(t_hyb),
                "filter": _p(t_flt),
                "recall": _recall(got, truth) if recall else float("nan"),
                "recall_filter": _recall(got_f, truth_f) if recall else float("nan"),
                "query_rss_mb": peak_rss_mb(),
            }
        )
    return results


def _in_child(fn: Any, *args: Any) -> Any:
    with mp.get_context("spawn").Pool(1) as pool:
        return pool.apply(fn, args)


def _configs(rows: int, args: argparse.Namespace) -> tuple[AnnConfig | None, list[AnnConfig | None]]:
    """The build config (auto, partitions from the flag if given) and the query-time variants to measure on it."""
    cfg = choose_ann_index(rows, DIM, min_rows=args.ann_min_rows)
    if cfg and args.partitions:
        cfg = replace(cfg, num_partitions=args.partitions)
    if cfg is None or not args.sweep:
        return cfg, [cfg]
    variants: list[AnnConfig | None] = []
    for spec in args.sweep.split(","):
        nprobes, refine = (int(x) for x in spec.split("/"))
        variants.append(replace(cfg, nprobes=nprobes, refine_factor=refine or None))
    return cfg, variants


def _fmt_cfg(cfg: AnnConfig | None) -> str:
    if cfg is None:
        return "exact (no ANN)"
    return f"{cfg.index_type} p={cfg.num_partitions} nprobes={cfg.nprobes} refine={cfg.refine_factor}"


def _print_row(label: str, b: dict[str, Any], r: dict[str, Any]) -> None:
    def pp(key: str) -> str:
        return f"{r[key][0]:7.1f} /{r[key][1]:7.1f}"

    print(
        f"| {label} | {_fmt_cfg(r['cfg'])} | {b.get('build_s', float('nan')):7.1f} "
        f"({b.get('ann_s', float('nan')):.1f} ANN, {b.get('fts_s', float('nan')):.1f} FTS) | "
        f"{b.get('disk_mb', float('nan')):7.0f} | {pp('exact')} | {pp('vector')} | {pp('fts')} | "
        f"{pp('hybrid')} | {pp('filter')} | {r['recall']:.3f} | {r['recall_filter']:.3f} | "
        f"{b.get('build_rss_mb', float('nan')):5.0f} / {r['query_rss_mb']:5.0f} |",
        flush=True,
    )


HEADER = (
    "| rows | index | build s | disk MB | exact p50/p95 ms | vector p50/p95 | FTS p50/p95 | "
    "hybrid p50/p95 | filtered p50/p95 | recall@10 | recall@10 filtered | peak RSS MB build/query |"
)


def scale_arguments(description: str | None) -> argparse.ArgumentParser:
    """The flags the scale benches share: sizes, build folder, query count, rows per search."""
    ap = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="10k,100k", help="comma-separated: 10k, 100k, 1m or a number")
    ap.add_argument("--dir", required=True, help="LanceDB directory to build in (outside the repository)")
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--limit", type=int, default=50, help="rows per search for the latency runs")
    return ap


def main() -> None:
    ap = scale_arguments(__doc__)
    ap.add_argument("--reuse", action="store_true", help="query existing tables, don't rebuild")
    ap.add_argument("--ann-min-rows", type=int, default=10_000, help="brute-force cut-off for auto")
    ap.add_argument("--partitions", type=int)
    ap.add_argument("--real", action="store_true", help="MiniLM embeddings of the text (slow; <=20k)")
    ap.add_argument("--no-recall", action="store_true", help="latency only: skip the exact ground truth")
    ap.add_argument("--sweep", help="query-time variants nprobes/refine, comma-separated")
    args = ap.parse_args()
    print(HEADER, "\n|" + "---|" * 12, flush=True)
    for label in args.sizes.split(","):
        rows = SIZES.get(label.lower()) or int(label)
        cfg, variants = _configs(rows, args)
        name = f"t{rows}{'_real' if args.real else ''}_" + (f"{cfg.index_type}_{cfg.num_partitions}" if cfg else "flat")
        b: dict[str, Any] = {}
        if not (args.reuse and (Path(args.dir) / f"{name}.lance").exists()):
            shutil.rmtree(Path(args.dir) / f"{name}.lance", ignore_errors=True)
            b = _in_child(build, args.dir, name, rows, cfg, args.real)
        for r in _in_child(
            measure, args.dir, name, rows, variants, args.queries, args.limit, args.real, not args.no_recall
        ):
            _print_row(label, b, r)


if __name__ == "__main__":
    main()
