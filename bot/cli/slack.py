"""Commands of the Slack bot and what it remembers: serve, stats, examples, forget."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from bot.cli.common import JSON, KNOWLEDGE, emit, main
from bot.settings import load_settings

if TYPE_CHECKING:
    from bot.store import Store


@contextmanager
def opened_store() -> Iterator[Store]:
    """The store the settings name, closed afterwards."""
    from bot.store import Store

    store = Store.open(load_settings())
    try:
        yield store
    finally:
        store.close()


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
    with opened_store() as store:
        result = store.stats(days)
    emit(result, as_json, format_stats(result))


def format_stats(stats: dict[str, Any]) -> str:
    """The stats as a few plain lines."""
    fb = stats["feedback"]
    lines = [
        f"last {stats['days']:g} days: {stats['asked']} asked, {stats['answered']} answered "
        f"({stats['answer_rate']:.0%}), {stats['matched']} matched ({stats['match_rate']:.0%}), "
        f"{stats['uncertain']} uncertain, {stats['no_match']} not known, {stats['errors']} failed",
        f"feedback: {fb['fixed']} fixed it, {fb['not_it']} not it, {fb['escalated']} escalated",
    ]
    if stats["top_bugs"]:
        lines.append("top bugs:")
        lines += [f"  {b['answers']:4d}  {b['bug_id']}  ({b['fixed']} fixed it)" for b in stats["top_bugs"]]
    return "\n".join(lines)


@main.group("examples")
def examples_group() -> None:
    """Review and undo what the bot learned from "This fixed it" and "Not it"."""


@examples_group.command("list")
@JSON
def examples_list_cmd(as_json: bool) -> None:
    """List learned examples and negatives (the next refresh indexes examples)."""
    with opened_store() as store:
        examples, negatives = store.examples(), store.negatives()
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
    with opened_store() as store:
        if negative:
            store.remove_negative(example_id)
            click.echo(f"Removed negative {example_id}.")
        else:
            store.remove_example(example_id)
            click.echo(f"Removed example {example_id}; run `supportbot refresh` to drop it from the index.")


@main.command("forget")
@click.option("--user", "user", required=True, help="Slack user ID (U…) whose records to delete.")
@JSON
def forget_cmd(user: str, as_json: bool) -> None:
    """Delete one person's records: their questions, button presses, and what was learned from them."""
    with opened_store() as store:
        counts = store.forget_user(user)
    text = (
        f"Deleted {counts['answers']} answers, {counts['feedback']} button presses, {counts['reports']} reports, "
        f"{counts['examples']} learned examples and {counts['negatives']} negatives of {user}."
    )
    if counts["examples"]:
        text += " Run `supportbot refresh` to drop the examples from the index."
    emit(counts, as_json, text)
