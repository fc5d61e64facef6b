"""Does learning from "This fixed it" help without hurting? Before/after figures on the dev set.

    .venv/bin/python -m bench.learning_eval [--dev-set ../shared/dev-set] [--workdir DIR] [--json]

The in-KB queries are split in two halves (seeded shuffle). Every query is answered once; then each query
of half A is confirmed for its expected bug (its extracted inputs become a learned example, as the Slack
"This fixed it" button does), the index is refreshed, and every query is answered again. Printed:
half B (unseen queries, plus all out-of-KB queries) before/after, so learning must not make them worse;
and half A asked again (a confirmed repeat of the same screen), which should become `match` more often
and with higher confidence. OCR and ASR results are cached per file in the work dir, so reruns are fast.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import random
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from bot.evaluate import LabelledQuery, load_queries, summarise, to_query  # noqa: E402
from bot.extract import Extractor  # noqa: E402
from bot.matcher import Matcher  # noqa: E402
from bot.records import Answer, Media, QueryInput  # noqa: E402
from bot.refresh import build_refresher  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.store import ExampleInput, Store  # noqa: E402

DEV_SET = Path(__file__).resolve().parents[2] / "shared" / "dev-set"
Results = list[tuple[LabelledQuery, Answer]]


class CachedExtractor:
    """Remembers each file's OCR/ASR result by content hash (on disk), so only the first pass pays."""

    def __init__(self, inner: Extractor, path: Path, keep_images: bool) -> None:
        self.inner = inner
        self.path = path
        self.keep_images = keep_images
        self.cache: dict[str, QueryInput] = pickle.loads(path.read_bytes()) if path.exists() else {}

    def warm(self) -> None:
        self.inner.warm()

    def text_reader(self) -> Any:
        return self.inner.text_reader()

    def extract(self, media: Media, vocabulary: Any = ()) -> QueryInput:
        key = f"{media.sha256}|{'|'.join(vocabulary)}" if media.kind == "audio" else media.sha256  # hints differ
        found = self.cache.get(key)
        if found is None:
            found = self.inner.extract(media, vocabulary)
            self.cache[key] = found if self.keep_images else replace(found, image=None)
            self.path.write_bytes(pickle.dumps(self.cache))
        return replace(found, name=media.name)


def answer_all(matcher: Matcher, queries: list[LabelledQuery]) -> Results:
    return [(q, matcher.match(to_query(q))) for q in queries]


def split(queries: list[LabelledQuery], seed: int) -> tuple[list[LabelledQuery], list[LabelledQuery]]:
    """Half A (to confirm) and half B (never confirmed) of the in-KB queries."""
    in_kb = sorted((q for q in queries if q.expected), key=lambda q: q.id)
    random.Random(seed).shuffle(in_kb)
    half = len(in_kb) // 2
    return in_kb[:half], in_kb[half:]


def confirm(store: Store, results: Results) -> int:
    """Add each answered query's extracted inputs as an example of its expected bug."""
    added = 0
    for query, answer in results:
        inputs = [ExampleInput(i.kind, i.name, i.text) for i in answer.inputs if i.text.strip()]
        provenance = {"query_id": query.id, "source": "learning_eval"}
        if query.expected and store.add_example(query.expected, inputs, provenance):
            added += 1
    return added


def figures(results: Results) -> dict[str, Any]:
    """The metrics this benchmark compares, plus the confidence of `match` answers."""
    report = summarise(results)
    expected = [(q, a) for q, a in results if q.expected]
    right = [a.confidence for q, a in expected if a.best and a.best.bug.id == q.expected]
    return {
        "n": report["queries"],
        "recall_at_1": report["recall_at_1"],
        "recall_at_5": report["recall_at_5"],
        "mrr": report["mrr"],
        "match_precision": report["match_precision"],
        "match_rate": round(sum(1 for _, a in results if a.decision == "match") / max(1, len(results)), 4),
        "mean_confidence_when_right": round(sum(right) / len(right), 4) if right else 0.0,
        "no_match_rate_out_of_kb": report["no_match_rate_out_of_kb"],
        "decisions": report["decisions"],
    }


def run(dev_set: Path, work: Path, seed: int) -> dict[str, Any]:
    settings = Settings(knowledge_dir=dev_set / "knowledge", data_dir=work / "data", index_check_seconds=0)
    matcher = Matcher.from_settings(settings)
    matcher.extractor = CachedExtractor(  # type: ignore[assignment]
        matcher.extractor, work / "extract-cache.pickle", matcher.embedder.supports("image")
    )
    refresher = build_refresher(settings, matcher.embedder, matcher.extractor)  # type: ignore[arg-type]
    refresher.refresh()
    queries = load_queries(dev_set / "queries.jsonl")
    half_a, half_b = split(queries, seed)
    out_of_kb = [q for q in queries if not q.expected]
    before = answer_all(matcher, half_a + half_b + out_of_kb)
    store = Store.open(settings)
    added = confirm(store, before[: len(half_a)])
    report = refresher.refresh()
    after = answer_all(matcher, half_a + half_b + out_of_kb)
    cut, tail = len(half_a), len(half_a) + len(half_b)
    return {
        "split": {
            "seed": seed,
            "half_a": len(half_a),
            "half_b": len(half_b),
            "out_of_kb": len(out_of_kb),
            "examples_added": added,
            "refresh_examples_added": report.examples_added,
        },
        "half_b_and_out_of_kb": {"before": figures(before[cut:]), "after": figures(after[cut:])},
        "half_b": {"before": figures(before[cut:tail]), "after": figures(after[cut:tail])},
        "half_a_repeats": {"before": figures(before[:cut]), "after": figures(after[:cut])},
    }


def format_table(result: dict[str, Any]) -> str:
    keys = (
        "recall_at_1",
        "recall_at_5",
        "mrr",
        "match_precision",
        "match_rate",
        "mean_confidence_when_right",
        "no_match_rate_out_of_kb",
    )
    lines = [f"split: {result['split']}"]
    for group in ("half_b_and_out_of_kb", "half_b", "half_a_repeats"):
        before, after = result[group]["before"], result[group]["after"]
        lines.append(f"\n{group} (n={before['n']})            before   after")
        lines += [f"  {k:28s} {before[k]:7.3f} {after[k]:7.3f}" for k in keys]
        lines.append(f"  decisions before {before['decisions']}  after {after['decisions']}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dev-set", type=Path, default=DEV_SET)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="learning-eval-"))
    work.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(work / "data", ignore_errors=True)  # a fresh index and example store; the OCR/ASR cache stays
    result = run(args.dev_set, work, args.seed)
    print(json.dumps(result, indent=2) if args.json else format_table(result))


if __name__ == "__main__":
    main()
