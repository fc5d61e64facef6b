"""Commands of the Slack bot and what it remembers: serve, stats, examples."""

from __future__ import annotations

from pathlib import Path

import click

from bot.cli.common import JSON, KNOWLEDGE, emit, main
from bot.settings import load_settings


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
