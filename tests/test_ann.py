"""ANN index choice: size thresholds, and a real LanceDB index built from the config keeps recall."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import numpy as np
import pyarrow as pa
import pytest

from bot.ann import BRUTE_FORCE_MAX_ROWS, AnnConfig, choose_ann_index


def test_small_tables_are_searched_exactly() -> None:
    assert choose_ann_index(0, 384) is None
    assert choose_ann_index(BRUTE_FORCE_MAX_ROWS - 1, 384) is None


@pytest.mark.parametrize("rows", [BRUTE_FORCE_MAX_ROWS, 300_000, 1_000_000, 5_000_000])
def test_large_tables_get_an_index_that_grows_with_them(rows: int) -> None:
    cfg = choose_ann_index(rows, 384)
    assert cfg is not None
    assert cfg.metric == "cosine"
    assert 1 <= cfg.nprobes <= cfg.num_partitions
    smaller = choose_ann_index(rows // 2, 384, min_rows=1)
    assert smaller is not None and smaller.num_partitions <= cfg.num_partitions


def test_min_rows_moves_the_cut_off() -> None:
    assert choose_ann_index(5_000, 384, min_rows=1_000) is not None
    assert choose_ann_index(5_000, 384, min_rows=10_000) is None


def test_index_kwargs_build_a_lancedb_config() -> None:
    from lancedb.index import IvfSq

    config = AnnConfig(16, nprobes=4, refine_factor=5).index_kwargs()["config"]
    assert isinstance(config, IvfSq) and config.distance_type == "cosine"


def _clustered(n: int, dim: int, seed: int) -> np.ndarray:
    """Unit vectors in tight groups of ~10 around random centres, like chunks of one bug."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((n // 10, dim))
    v = centres[rng.integers(0, len(centres), n)] + 0.15 * rng.standard_normal((n, dim))
    return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)


@pytest.mark.slow
def test_index_from_config_keeps_recall(tmp_path: Path) -> None:
    import lancedb
    from lancedb.table import LanceTable

    dim, rows = 64, 6_000
    vectors = _clustered(rows + 50, dim, seed=1)
    data = pa.table(
        {
            "id": np.arange(rows),
            "vector": pa.FixedSizeListArray.from_arrays(pa.array(vectors[:rows].ravel()), dim),
        }
    )
    # a local table, whose search() is typed by query kind (Table's returns the base query builder)
    table = cast(LanceTable, lancedb.connect(tmp_path).create_table("t", data))
    cfg = choose_ann_index(rows, dim, min_rows=1_000)
    assert cfg is not None and cfg.index_type == "IVF_SQ"
    table.create_index("vector", **cfg.index_kwargs())
    built = [i.index_type for i in table.list_indices()]
    assert [t.upper().replace("_", "") for t in built] == ["IVFSQ"]

    recalls = []
    for q in vectors[rows:]:
        exact = table.search(q).distance_type("cosine").bypass_vector_index().limit(10).to_arrow()
        ann = cfg.apply(table.search(q)).limit(10).to_arrow()
        recalls.append(len(set(exact["id"].to_pylist()) & set(ann["id"].to_pylist())) / 10)
    assert np.mean(recalls) >= 0.9
