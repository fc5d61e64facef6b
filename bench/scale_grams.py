"""The trigram index at scale: build time, size, latency and recall of searching misread screen text by trigrams.

    python -m bench.scale_grams --sizes 10k,100k --dir scratch/grams

Per size it writes a synthetic knowledge table (`bench.synth`) with each row's `grams` (`gram_text` of its text,
as the refresher writes them), builds the word and the trigram full-text indexes (`bot.index.trigram_index`), and
queries both with screen-like texts of random bugs (the bug's own `ocr` text, re-rendered) in which OCR-like slips
were made: in each word of five letters or more, one letter replaced by one a recogniser confuses it with. It
prints p50/p95 ms at `limit 50` (the bot's `search_limit`) and recall@10 (the query's bug among the first ten
bugs), for word BM25 and trigram BM25, and peak RSS. Each size builds and queries in a fresh `spawn` process.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from bench.scale_search import SIZES, _in_child, _ms, _p, dir_mb, peak_rss_mb, scale_arguments
from bench.synth import batches, make_corpus, render_text
from bot.index import trigram_index
from bot.ranking import gram_text

SLIPS = {"a": "o", "e": "c", "i": "l", "l": "i", "n": "m", "o": "a", "r": "n", "s": "5", "t": "f", "u": "v"}


def misread(text: str, rng: np.random.Generator) -> str:
    """`text` with one confusable letter misread in each word of five letters or more."""
    out = []
    for word in text.split(" "):
        spots = [i for i, c in enumerate(word) if c.lower() in SLIPS] if len(word) >= 5 else []
        if spots:
            i = int(rng.choice(spots))
            word = word[:i] + SLIPS[word[i].lower()] + word[i + 1 :]
        out.append(word)
    return " ".join(out)


def with_grams(source: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """The batches with each row's trigrams as a `grams` column."""
    for batch in source:
        grams = pa.array([gram_text(t) for t in batch.column("text").to_pylist()], pa.string())
        yield batch.append_column("grams", grams)


def build(uri: str, name: str, rows: int) -> dict[str, Any]:
    """Write the table with its trigrams, then the word and the trigram full-text index."""
    import lancedb
    from lancedb.index import FTS

    db = lancedb.connect(uri)
    corpus = make_corpus(rows)
    first = next(with_grams(batches(corpus, 1)))
    t0 = time.perf_counter()
    table = db.create_table(name, data=with_grams(batches(corpus)), schema=first.schema, mode="overwrite")
    t1 = time.perf_counter()
    table.create_index("text", config=FTS(with_position=False))
    t2 = time.perf_counter()
    table.create_index("grams", config=trigram_index())
    t3 = time.perf_counter()
    return {"data_s": t1 - t0, "fts_s": t2 - t1, "grams_s": t3 - t2, "disk_mb": dir_mb(Path(uri) / f"{name}.lance")}


def measure(uri: str, name: str, rows: int, n: int, limit: int) -> dict[str, Any]:
    """Latency and recall@10 of word and trigram BM25 for `n` misread screens of random bugs."""
    import lancedb

    table = lancedb.connect(uri).open_table(name)
    corpus = make_corpus(rows)
    rng = np.random.default_rng(7)
    bugs = [int(b) for b in rng.integers(0, corpus.num_bugs, n)]
    screens = [misread(render_text(corpus, b, "ocr", rng), rng) for b in bugs]
    queries = {"text": screens, "grams": [gram_text(s) for s in screens]}
    out: dict[str, Any] = {}
    for column, texts in queries.items():

        def search(i: int, col: str = column, qs: list[str] = texts) -> list[str]:
            found = table.search(qs[i], query_type="fts", fts_columns=col).limit(limit).select(["bug_id"]).to_list()
            return list(dict.fromkeys(r["bug_id"] for r in found))

        for i in range(min(10, n)):  # warm caches
            search(i)
        found, times = _ms(search, list(range(n)))
        out[column] = {
            "ms": _p(times),
            "recall": float(np.mean([corpus.bug_id(b) in f[:10] for b, f in zip(bugs, found, strict=True)])),
        }
    out["query_rss_mb"] = peak_rss_mb()
    return out


def main() -> None:
    args = scale_arguments(__doc__).parse_args()
    print(
        "| rows | write s | word FTS s | trigram FTS s | disk MB | words p50/p95 ms | recall@10 | "
        "trigrams p50/p95 ms | recall@10 | peak RSS MB |\n|" + "---|" * 10,
        flush=True,
    )
    for label in args.sizes.split(","):
        rows = SIZES.get(label.lower()) or int(label)
        name = f"grams{rows}"
        shutil.rmtree(Path(args.dir) / f"{name}.lance", ignore_errors=True)
        b = _in_child(build, args.dir, name, rows)
        r = _in_child(measure, args.dir, name, rows, args.queries, args.limit)
        words, grams = r["text"], r["grams"]
        print(
            f"| {label} | {b['data_s']:.1f} | {b['fts_s']:.1f} | {b['grams_s']:.1f} | {b['disk_mb']:.0f} | "
            f"{words['ms'][0]:.1f} / {words['ms'][1]:.1f} | {words['recall']:.3f} | "
            f"{grams['ms'][0]:.1f} / {grams['ms'][1]:.1f} | {grams['recall']:.3f} | {r['query_rss_mb']:.0f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
