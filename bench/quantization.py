"""Storage and retrieval quality of stored-vector quantization on the dev set's text queries.

    python -m bench.quantization [--distractors 2000]

Documents are the dev-set bugs (title + symptoms + resolution), one vector each, embedded with the
packaged MiniLM; queries are the 82 text queries. Two corpora: the 41 bugs alone, and the 41 bugs plus
`--distractors` synthetic error messages (bench/synth.py), so that ranking has competition and LanceDB's
PQ/SQ indexes have enough rows to train. Schemes: float32, float16, int8 and binary via
sentence-transformers' `quantize_embeddings` (binary scored by Hamming distance, by a float query
against the sign bits, and with float32 rescoring of the top 10), and LanceDB's own IVF_PQ / IVF_SQ /
IVF_HNSW_SQ indexes (with and without refine) plus a packed-binary column searched by Hamming distance.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from collections.abc import Callable
from typing import Any

import numpy as np

from bench.devset import DevText, load_dev_text, minilm_path, rank_metrics

Scorer = Callable[[np.ndarray, np.ndarray], np.ndarray]


def embed(texts: list[str]) -> np.ndarray:
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(minilm_path(), device="cpu")
    return model.encode(texts, batch_size=32, normalize_embeddings=True, convert_to_numpy=True)


def distractor_texts(n: int) -> list[str]:
    """`n` synthetic error messages, none of them a dev-set bug."""
    from bench.synth import KINDS, make_corpus, render_text

    corpus = make_corpus(n, seed=7)
    rng = np.random.default_rng(7)
    return [render_text(corpus, i % corpus.num_bugs, KINDS[i % len(KINDS)], rng) for i in range(n)]


def st_schemes(docs: np.ndarray) -> dict[str, tuple[int, Scorer]]:
    """Bytes per stored vector and a (queries, docs) -> scores function for each in-memory scheme."""
    from sentence_transformers.util.quantization import quantize_embeddings

    def int8(q: np.ndarray, d: np.ndarray) -> np.ndarray:
        qi = np.asarray(quantize_embeddings(q, "int8", calibration_embeddings=d), dtype=np.int32)
        return qi @ np.asarray(quantize_embeddings(d, "int8", calibration_embeddings=d), dtype=np.int32).T

    def bits(x: np.ndarray) -> np.ndarray:
        return np.unpackbits(np.asarray(quantize_embeddings(x, "ubinary")), axis=1).astype(np.float32)

    def hamming(q: np.ndarray, d: np.ndarray) -> np.ndarray:
        bq, bd = bits(q), bits(d)
        return -(bq @ (1 - bd).T + (1 - bq) @ bd.T)

    def rescore(q: np.ndarray, d: np.ndarray) -> np.ndarray:
        coarse, exact = hamming(q, d), q @ d.T
        top = np.argsort(-coarse, axis=1)[:, :10]
        out = np.full_like(exact, -np.inf)
        np.put_along_axis(out, top, np.take_along_axis(exact, top, axis=1), axis=1)
        return out

    dim = docs.shape[1]
    return {
        "float32 (exact cosine)": (dim * 4, lambda q, d: q @ d.T),
        "float16": (dim * 2, lambda q, d: q @ d.astype(np.float16).astype(np.float32).T),
        "int8 (ST, calibrated on docs)": (dim, int8),
        "binary, Hamming (ST ubinary)": (dim // 8, hamming),
        "binary, float query x sign bits": (dim // 8, lambda q, d: q @ (2 * bits(d) - 1).T),
        "binary top-10 + float32 rescore": (dim // 8, rescore),
    }


def lance_schemes(ids: list[str], docs: np.ndarray, queries: np.ndarray) -> dict[str, tuple[float, np.ndarray]]:
    """Index bytes per row and scores for LanceDB's quantized indexes and a packed-binary column."""
    import lancedb
    import pyarrow as pa
    from lancedb.index import HnswSq, IvfFlat, IvfPq, IvfSq

    dim, n = docs.shape[1], len(docs)
    packed = np.packbits(docs > 0, axis=1)
    data = pa.table(
        {
            "i": np.arange(n),
            "vector": pa.FixedSizeListArray.from_arrays(pa.array(docs.ravel()), dim),
            "bits": pa.FixedSizeListArray.from_arrays(pa.array(packed.ravel()), dim // 8),
        }
    )
    variants: dict[str, tuple[Any, int]] = {
        "LanceDB IVF_PQ (48x8 bit)": (IvfPq(distance_type="cosine", num_partitions=1, num_sub_vectors=48), 0),
        "LanceDB IVF_PQ + refine 10": (IvfPq(distance_type="cosine", num_partitions=1, num_sub_vectors=48), 10),
        "LanceDB IVF_SQ (int8)": (IvfSq(distance_type="cosine", num_partitions=1), 0),
        "LanceDB IVF_HNSW_SQ": (HnswSq(distance_type="cosine", num_partitions=1), 0),
    }
    out: dict[str, tuple[float, np.ndarray]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        table = lancedb.connect(tmp).create_table("q", data)
        for name, (config, refine) in variants.items():
            table.create_index("vector", config=config, replace=True)
            size = next(i.size_bytes or 0 for i in table.list_indices() if i.columns == ["vector"])
            out[name] = (size / n, _lance_scores(table, queries, n, lambda s, r=refine: _knobs(s, r)))
        table.create_index("bits", config=IvfFlat(distance_type="hamming", num_partitions=1))
        qbits = np.packbits(queries > 0, axis=1)
        out["LanceDB binary column, Hamming"] = (
            dim / 8,
            _lance_scores(table, qbits, n, lambda s: s.distance_type("hamming"), "bits"),
        )
    return out


def _knobs(query: object, refine: int) -> object:
    query = query.distance_type("cosine")  # type: ignore[attr-defined]
    return query.refine_factor(refine) if refine else query  # type: ignore[attr-defined]


def _lance_scores(table: object, queries: np.ndarray, n: int, knobs: Callable, column: str = "vector") -> np.ndarray:
    """A (queries x docs) score matrix from the top-50 rows LanceDB returns (others get -inf)."""
    scores = np.full((len(queries), n), -np.inf, dtype=np.float32)
    for qi, q in enumerate(queries):
        res = knobs(table.search(q, vector_column_name=column)).limit(50).to_arrow()  # type: ignore[attr-defined]
        scores[qi, res["i"].to_numpy()] = -res["_distance"].to_numpy()
    return scores


def report(title: str, dev: DevText, ids: list[str], docs: np.ndarray, queries: np.ndarray, with_lance: bool) -> None:
    print(f"\n### {title} ({len(ids)} docs, {len(dev.queries)} text queries)\n")
    print("| scheme | bytes/vector | vs float32 | recall@1 | MRR |\n|---|---|---|---|---|")
    rows: list[tuple[str, float, np.ndarray]] = [
        (name, size, score(queries, docs)) for name, (size, score) in st_schemes(docs).items()
    ]
    if with_lance:
        rows += [(name, size, s) for name, (size, s) in lance_schemes(ids, docs, queries).items()]
    for name, size, scores in rows:
        r1, mrr = rank_metrics(scores, ids, dev.expected)
        print(f"| {name} | {size:.0f} | {100 * (1 - size / (docs.shape[1] * 4)):.0f}% saved | {r1:.3f} | {mrr:.3f} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--distractors", type=int, default=2000)
    args = ap.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    dev = load_dev_text()
    extra = distractor_texts(args.distractors)
    vecs = embed(dev.docs + extra + dev.queries)
    n_docs, n_all = len(dev.docs), len(dev.docs) + len(extra)
    docs, queries = vecs[:n_all], vecs[n_all:]
    report("Dev-set bugs only", dev, dev.doc_ids, docs[:n_docs], queries, with_lance=False)
    ids = dev.doc_ids + [f"distractor-{i}" for i in range(len(extra))]
    report(f"Dev-set bugs + {len(extra)} synthetic distractors", dev, ids, docs, queries, with_lance=True)


if __name__ == "__main__":
    main()
