"""Commands that measure and fit the engine on a labelled query set: eval, calibrate."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from bot.cli.common import JSON, KNOWLEDGE, emit, main, progress, ready_matcher
from bot.settings import Settings, load_settings


@main.command("eval")
@KNOWLEDGE
@click.option("--queries", "queries_file", type=click.Path(exists=True, path_type=Path), required=True)
@JSON
@click.option("--no-ocr", is_flag=True, help="Do not read text in query screenshots.")
@click.option("--no-asr", is_flag=True, help="Do not transcribe query voice notes.")
@click.option("--no-rerank", is_flag=True, help="Skip the reranker.")
@click.option("--no-fts", is_flag=True, help="Dense search only.")
@click.option("--no-dense", is_flag=True, help="Full-text search only (a keyword baseline).")
def eval_cmd(knowledge_dir: Path | None, queries_file: Path, as_json: bool, **flags: bool) -> None:
    """Score the engine on a labelled queries file."""
    from bot.evaluate import load_queries, run_eval

    base = load_settings(knowledge_dir=knowledge_dir)
    ready_matcher(base)
    overrides = {name[3:]: False for name, on in flags.items() if on}
    matcher = ready_matcher(base.model_copy(update=overrides))
    matcher.warm()
    report = run_eval(matcher, load_queries(queries_file), lambda items: progress(items, None, "eval"))
    report["config"] = config_summary(matcher.settings, matcher)
    emit(report, as_json, format_report(report))


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
    lat = report["latency_ms"]
    lines.append(f"latency ms p50 {lat['p50']}  p95 {lat['p95']}  peak RSS {report['peak_rss_mb']} MB")
    lines += [f"  {k:16s} p50 {v['p50']}  p95 {v['p95']}" for k, v in lat["by_kind"].items()]
    lines += [f"  stage {k:10s} p50 {v['p50']}  p95 {v['p95']}" for k, v in lat["by_stage"].items()]
    return "\n".join(lines)


@main.command("calibrate")
@KNOWLEDGE
@click.option("--queries", "queries_file", type=click.Path(exists=True, path_type=Path), required=True)
@click.option("--precision", default=0.98, show_default=True, help="Match precision the match threshold must keep.")
@click.option(
    "--max-no-match", default=0.08, show_default=True, help="Largest share of in-KB queries answered no_match."
)
def calibrate_cmd(knowledge_dir: Path | None, queries_file: Path, precision: float, max_no_match: float) -> None:
    """Fit the confidence model and thresholds on a labelled set; prints TOML for a config file."""
    from bot.calibrate import calibrate
    from bot.evaluate import load_queries, to_query

    matcher = ready_matcher(load_settings(knowledge_dir=knowledge_dir))
    queries = load_queries(queries_file)
    results = [(item, matcher.match(to_query(item))) for item in progress(queries, len(queries), "calibrating")]
    click.echo(calibrate(results, precision, max_no_match).toml(), nl=False)
