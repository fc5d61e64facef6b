"""A synthetic known-bug corpus with the shape of a real one, for the scale benchmarks.

Vectors: unit 384-d vectors in three tiers like MiniLM embeddings of support text — product families
(unrelated, cosine ~0), bugs inside a family (cosine ~0.5), and near-duplicate chunks of one bug
(cosine ~0.8). Text: error-message-like strings (100-400 chars) built from per-bug identifiers, so BM25
has selective terms. Everything derives from a seed, so queries can be drawn from the same bugs later.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

DIM = 384
ROWS_PER_BUG = 20
KINDS = ("doc", "ocr", "transcript", "example")
SOURCES = ("kb", "slack", "jira")
PRODUCTS = (
    "nginx",
    "curl",
    "git",
    "postgres",
    "chrome",
    "flask",
    "django",
    "fastapi",
    "npm",
    "pip",
    "python",
    "redis",
    "kafka",
    "docker",
    "kubectl",
    "terraform",
)
FAMILY_SPREAD, ROW_SPREAD = 0.8, 0.5
_SYLL = ("ka", "lo", "mi", "ter", "vox", "pra", "dun", "zel", "quo", "rin", "sta", "bel", "nor", "fi")
_VERBS = ("failed", "refused", "timed out", "returned", "crashed", "aborted", "rejected")
_NOUNS = ("connection", "request", "upstream", "handshake", "migration", "checkout", "build", "query")
_CODES = ("400", "401", "403", "404", "409", "413", "429", "500", "502", "503", "504")
_TEMPLATES = {
    "doc": "{product}: {module} {verb} with {code} ({ident}). Symptoms: the {noun} to {host} {verb} "
    "while calling {path}; logs show {ident} at {module}.py line {line}. Resolution: check {ident} "
    "settings for {module} and retry the {noun}.",
    "ocr": "{product} error {code} {ident}\n{verb} {noun} {host}{path}\nTraceback (most recent call "
    'last): File "/srv/{module}/app.py", line {line}, in handle\n{ident}Error: {noun} {verb}',
    "transcript": "hi so the {product} thing is broken again, the {noun} {verb} and it says {code} "
    "something about {ident} when i open {path}, can someone look at {module}",
    "example": "{product} {noun} {verb} with {code} on {host}{path}, message mentions {ident} in {module}",
}


def _word(rng: np.random.Generator, parts: int) -> str:
    return "".join(_SYLL[i] for i in rng.integers(0, len(_SYLL), parts))


@dataclass(frozen=True)
class Corpus:
    """Bug-level structure of a corpus of `num_rows` rows: centroids and per-bug vocabulary."""

    num_rows: int
    centroids: np.ndarray  # (num_bugs, DIM) unit vectors
    products: list[str]
    idents: list[str]
    modules: list[str]
    codes: list[str]
    seed: int

    @property
    def num_bugs(self) -> int:
        return len(self.centroids)

    def bug_id(self, bug: int) -> str:
        return f"{self.products[bug]}-{self.idents[bug].lower()}-{bug}"


def make_corpus(num_rows: int, seed: int = 0) -> Corpus:
    """Bug centroids grouped in product families, plus identifiers used by each bug's text."""
    rng = np.random.default_rng(seed)
    num_bugs = max(1, num_rows // ROWS_PER_BUG)
    fam = rng.integers(0, len(PRODUCTS), num_bugs)
    fam_centres = rng.standard_normal((len(PRODUCTS) * 8, DIM)).astype(np.float32)
    sub = fam * 8 + rng.integers(0, 8, num_bugs)
    cent = fam_centres[sub] + FAMILY_SPREAD * rng.standard_normal((num_bugs, DIM)).astype(np.float32)
    cent /= np.linalg.norm(cent, axis=1, keepdims=True)
    return Corpus(
        num_rows=num_rows,
        centroids=cent,
        products=[PRODUCTS[f] for f in fam],
        idents=[_word(rng, 3).capitalize() + str(rng.integers(10, 999)) for _ in range(num_bugs)],
        modules=[_word(rng, 2) + "_" + _word(rng, 2) for _ in range(num_bugs)],
        codes=[_CODES[i] for i in rng.integers(0, len(_CODES), num_bugs)],
        seed=seed,
    )


def sample_vectors(corpus: Corpus, bugs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Unit vectors near the centroids of `bugs` (near-duplicates of one another)."""
    noise = rng.standard_normal((len(bugs), DIM)).astype(np.float32) * (ROW_SPREAD / np.sqrt(DIM))
    out = corpus.centroids[bugs] + noise
    return out / np.linalg.norm(out, axis=1, keepdims=True)


def render_text(corpus: Corpus, bug: int, kind: str, rng: np.random.Generator) -> str:
    """One error-message-like text for `bug`, varied by host, path and line."""
    host = f"{_word(rng, 2)}-{rng.integers(1, 99)}.internal:{rng.integers(3000, 9000)}"
    return _TEMPLATES[kind].format(
        product=corpus.products[bug],
        module=corpus.modules[bug],
        ident=corpus.idents[bug],
        code=corpus.codes[bug],
        verb=_VERBS[rng.integers(len(_VERBS))],
        noun=_NOUNS[rng.integers(len(_NOUNS))],
        host=host,
        line=rng.integers(10, 900),
        path=f"/api/v{rng.integers(1, 4)}/{_word(rng, 2)}/{rng.integers(1, 10_000)}",
    )


def batches(corpus: Corpus, batch_rows: int = 50_000) -> Iterator[pa.RecordBatch]:
    """The corpus rows as Arrow record batches (bug_id, kind, source, product, text, vector)."""
    rng = np.random.default_rng(corpus.seed + 1)
    for start in range(0, corpus.num_rows, batch_rows):
        n = min(batch_rows, corpus.num_rows - start)
        bugs = (np.arange(start, start + n) // ROWS_PER_BUG) % corpus.num_bugs
        kinds = [KINDS[i] for i in rng.integers(0, len(KINDS), n)]
        vecs = sample_vectors(corpus, bugs, rng)
        yield pa.RecordBatch.from_pydict(
            {
                "id": pa.array(np.arange(start, start + n)),
                "bug_id": [corpus.bug_id(int(b)) for b in bugs],
                "kind": kinds,
                "source": [SOURCES[i] for i in rng.integers(0, len(SOURCES), n)],
                "product": [corpus.products[b] for b in bugs],
                "text": [render_text(corpus, int(b), k, rng) for b, k in zip(bugs, kinds, strict=True)],
                "vector": pa.FixedSizeListArray.from_arrays(pa.array(vecs.ravel()), DIM),
            }
        )


@dataclass(frozen=True)
class QuerySet:
    """Held-out queries: a vector near a bug, a short user text about it, and that bug's product."""

    vectors: np.ndarray
    texts: list[str]
    products: list[str]


def make_queries(corpus: Corpus, n: int, seed: int = 99) -> QuerySet:
    """`n` new samples of random bugs (not rows of the table)."""
    rng = np.random.default_rng(seed)
    bugs = rng.integers(0, corpus.num_bugs, n)
    texts = [
        f"{corpus.products[b]} {corpus.idents[b]} {corpus.codes[b]} {_NOUNS[rng.integers(len(_NOUNS))]}" for b in bugs
    ]
    return QuerySet(sample_vectors(corpus, bugs, rng), texts, [corpus.products[b] for b in bugs])
