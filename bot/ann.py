"""Choose the ANN index and its query-time knobs for a LanceDB vector column by table size.

`choose_ann_index` is a pure function: below `BRUTE_FORCE_MAX_ROWS` it returns None (an exact scan is
fast enough and exact); above, an IVF_SQ `AnnConfig` whose recall@10 against exact search was measured at
>= 0.95 by `bench/scale_search.py` (docs/PERFORMANCE.md also has why IVF_SQ rather than IVF_PQ or HNSW).
LanceDB is imported only inside `AnnConfig.index_config()`, so importing this module stays cheap.

Use in the index owner (`bot.index`)::

    cfg = choose_ann_index(table.count_rows(), dim)
    if cfg is not None:
        table.create_index("vector", **cfg.index_kwargs())
    query = table.search(vector).distance_type("cosine")
    query = cfg.apply(query) if cfg else query
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal, TypeVar, cast

BRUTE_FORCE_MAX_ROWS = 10_000
"""Largest table searched by exact scan; measured flat-scan p95 at this size is in docs/PERFORMANCE.md."""

ROWS_PER_PARTITION = 4096
"""Target IVF partition size: keeps both the centroid search and each partition's scan small."""

NPROBE_FRACTION = 0.06
"""Share of partitions probed per query; on real MiniLM embeddings 6% gave recall@10 0.961 (see docs)."""


Q = TypeVar("Q")


@dataclass(frozen=True)
class AnnConfig:
    """An IVF_SQ index recipe: build-time partitions plus the query-time knobs that go with them."""

    num_partitions: int
    nprobes: int
    refine_factor: int | None
    metric: Literal["cosine"] = "cosine"
    index_type: Literal["IVF_SQ"] = "IVF_SQ"

    def index_config(self) -> Any:
        """The LanceDB index config (`IvfSq`) for `table.create_index(column, config=...)`."""
        from lancedb.index import IvfSq

        return IvfSq(distance_type=self.metric, num_partitions=self.num_partitions)

    def index_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for `table.create_index("vector", **cfg.index_kwargs())` (replaces any old index)."""
        return {"config": self.index_config(), "replace": True}

    def apply(self, query: Q) -> Q:
        """Set metric, nprobes and refine factor on a vector or hybrid query builder."""
        q: Any = query
        q = q.distance_type(self.metric).nprobes(self.nprobes)
        if self.refine_factor:
            q = q.refine_factor(self.refine_factor)
        return cast(Q, q)


def choose_ann_index(num_rows: int, dim: int, min_rows: int = BRUTE_FORCE_MAX_ROWS) -> AnnConfig | None:
    """The ANN index for a table of `num_rows` vectors of `dim` floats, or None to search it exactly.

    `min_rows` moves the brute-force cut-off (the benchmarks try others). IVF_SQ does not depend on `dim`;
    it is part of the signature so a dimension-dependent recipe would not change callers.
    """
    if num_rows < max(min_rows, 1):
        return None
    partitions = max(1, round(num_rows / ROWS_PER_PARTITION))
    nprobes = min(partitions, max(4, math.ceil(partitions * NPROBE_FRACTION)))
    return AnnConfig(num_partitions=partitions, nprobes=nprobes, refine_factor=5)
