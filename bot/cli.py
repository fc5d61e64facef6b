"""The `supportbot` command: builds objects from `Settings`, delegates, and prints."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TypeVar

import click

from bot.errors import BotError
from bot.settings import Settings, load_settings

T = TypeVar("T")
KNOWLEDGE = click.option("--knowledge", "knowledge_dir", type=click.Path(path_type=Path), help="Knowledge folder.")
JSON = click.option("--json", "as_json", is_flag=True, help="Print JSON.")


def progress(items: Iterable[T], total: int | None = None, label: str = "") -> Iterable[T]:
    """A progress bar on stderr (hidden when stderr is not a terminal and the job is short)."""
    from tqdm import tqdm

    return tqdm(items, total=total, desc=label, file=sys.stderr, leave=False, mininterval=1.0)


def emit(data: Any, as_json: bool, text: str) -> None:
    click.echo(json.dumps(data, indent=2, default=str) if as_json else text)


class BotCommand(click.Group):
    """Turns a `BotError` into one plain sentence and exit code 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BotError as err:
            raise click.ClickException(err.message) from err


@click.group(cls=BotCommand)
@click.option("-v", "--verbose", is_flag=True, help="Log progress and timings.")
def main(verbose: bool) -> None:
    """supportbot: match screenshots, voice notes and messages to known bugs."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )


def refresh_command(knowledge_dir: Path | None, as_json: bool) -> None:
    from bot.refresh import build_refresher

    settings = load_settings(knowledge_dir=knowledge_dir)
    report = build_refresher(settings).refresh(progress=lambda items, n: progress(items, n, "indexing"))
    text = (
        f"{settings.knowledge_dir}: {report.added} added, {report.updated} updated, {report.deleted} deleted, "
        f"{report.unchanged} unchanged in {report.seconds:.1f}s (version {report.version})"
    )
    if report.screenshots_per_second:
        text += f"; {report.screenshots} screenshots read at {report.screenshots_per_second:.1f}/s"
    text += "".join(f"\n  failed: {f['path']}: {f['reason']}" for f in report.failed)
    emit({k: v for k, v in report.as_dict().items()}, as_json, text)


@main.command("index")
@KNOWLEDGE
@JSON
def index_cmd(knowledge_dir: Path | None, as_json: bool) -> None:
    """Build or update the index for a knowledge folder."""
    refresh_command(knowledge_dir, as_json)


@main.command("refresh")
@KNOWLEDGE
@JSON
def refresh_cmd(knowledge_dir: Path | None, as_json: bool) -> None:
    """Re-index only what changed in the knowledge folder."""
    refresh_command(knowledge_dir, as_json)


def ready_matcher(settings: Settings) -> Any:
    """A matcher whose index exists (built now if missing)."""
    from bot.matcher import Matcher
    from bot.refresh import build_refresher

    matcher = Matcher.from_settings(settings)
    if not matcher.index.exists():
        build_refresher(settings, matcher.embedder, matcher.extractor).refresh(
            progress=lambda items, n: progress(items, n, "indexing")
        )
    return matcher


@main.command("ask")
@KNOWLEDGE
@click.option("--text", default="", help="What the user wrote.")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@JSON
def ask_cmd(knowledge_dir: Path | None, text: str, files: tuple[Path, ...], as_json: bool) -> None:
    """Answer one query: a message and/or screenshots and voice notes."""
    from bot.records import Attachment, Query
    from bot.render import answer_json, answer_text

    matcher = ready_matcher(load_settings(knowledge_dir=knowledge_dir))
    attachments = []
    for path in files:
        try:
            attachments.append(Attachment(path.name, path.read_bytes()))
        except OSError:
            attachments.append(Attachment(path.name, b""))
    answer = matcher.match(Query(text=text, attachments=tuple(attachments)))
    emit(answer_json(answer), as_json, answer_text(answer))
    if not any(i.text.strip() or i.image is not None for i in answer.inputs):
        sys.exit(2)


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


@main.command("doctor")
@KNOWLEDGE
def doctor_cmd(knowledge_dir: Path | None) -> None:
    """Print the config in force, the models and what they support, and the index state."""
    from bot.doctor import diagnose

    click.echo(diagnose(load_settings(knowledge_dir=knowledge_dir)))


@main.command("demo")
@KNOWLEDGE
@click.option("--queries", "queries_file", type=click.Path(path_type=Path), default=Path("examples/queries.jsonl"))
def demo_cmd(knowledge_dir: Path | None, queries_file: Path) -> None:
    """Index the knowledge folder and answer the sample queries, printing each reply the bot would post."""
    from bot.evaluate import load_queries, to_query
    from bot.render import answer_text

    matcher = ready_matcher(load_settings(knowledge_dir=knowledge_dir))
    for item in load_queries(queries_file):
        asked = " + ".join([f"text {item.text!r}"] * bool(item.text) + [f.name for f in item.files])
        click.echo(f"\n> {item.id} ({item.kind}): {asked}")
        click.echo(answer_text(matcher.match(to_query(item))))


@main.command("serve")
@KNOWLEDGE
def serve_cmd(knowledge_dir: Path | None) -> None:
    """Answer Slack (Socket Mode or HTTP, per SUPPORTBOT_SLACK_MODE) until stopped; see docs/SLACK.md."""
    from bot.slack.serve import serve

    serve(load_settings(knowledge_dir=knowledge_dir))


@main.command("stats")
@click.option("--days", type=float, default=7.0, show_default=True, help="Report on the last N days.")
@JSON
def stats_cmd(days: float, as_json: bool) -> None:
    """Answer rate, match rate, feedback counts and top bugs of the Slack bot."""
    from bot.feedback import format_stats, stats

    result = stats(load_settings(), days)
    emit(result, as_json, format_stats(result))


@main.group("examples")
def examples_group() -> None:
    """Review and undo what the bot learned from "This fixed it" and "Not it"."""


@examples_group.command("list")
@JSON
def examples_list_cmd(as_json: bool) -> None:
    """List learned examples and negatives (the next refresh indexes examples)."""
    from bot.examples import ExampleStore

    store = ExampleStore(load_settings())
    examples, negatives = store.list(), store.negatives()
    data = {"examples": [e.as_dict() for e in examples], "negatives": [n.as_dict() for n in negatives]}
    lines = [f"{len(examples)} learned examples, {len(negatives)} negatives"]
    for e in examples:
        texts = " | ".join(f"{i.name}: {i.text[:60]!r}" for i in e.inputs)
        lines.append(f"  example {e.id}  {e.bug_id}  by {e.provenance.get('confirmed_by', '?')}  {texts}")
    lines += [f"  negative {n.id}  not {n.bug_id} for {n.query_text[:80]!r}" for n in negatives]
    emit(data, as_json, "\n".join(lines))


@examples_group.command("remove")
@click.argument("example_id", type=int)
@click.option("--negative", is_flag=True, help="Remove the negative with this id instead of an example.")
def examples_remove_cmd(example_id: int, negative: bool) -> None:
    """Forget one learned example (gone from answers after the next refresh) or one negative."""
    from bot.examples import ExampleStore

    store = ExampleStore(load_settings())
    if negative:
        store.remove_negative(example_id)
        click.echo(f"Removed negative {example_id}.")
    else:
        store.remove(example_id)
        click.echo(f"Removed example {example_id}; run `supportbot refresh` to drop it from the index.")
