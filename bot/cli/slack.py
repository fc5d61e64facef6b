"""Commands of the Slack bot and what it remembers: serve, stats, reports, examples, forget."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from bot.cli.common import JSON, KNOWLEDGE, emit, main
from bot.settings import Settings, load_settings

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


def post_notices(settings: Settings) -> int | None:
    """Post the fix notices still due (`supportbot refresh` with a bot token); None without a token."""
    if not settings.slack_bot_token or not settings.slack_bot_token.get_secret_value():
        return None
    from bot.slack.app import web_client
    from bot.slack.claims import SlackStore
    from bot.slack.notices import Notices

    store = SlackStore.open(settings)
    try:
        return Notices(settings, web_client(settings), store).send()
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
    if stats.get("reports"):
        lines.append("reported (confirmed or linked; threads, people):")
        lines += [f"  {r['reports']:4d}  {r['bug_id']}  by {r['people']}" for r in stats["reports"]]
    return "\n".join(lines)


@main.command("reports")
@click.argument("bug_id")
@click.option("--days", type=float, default=30.0, show_default=True, help="Report on the last N days.")
@JSON
def reports_cmd(bug_id: str, days: float, as_json: bool) -> None:
    """The threads where BUG_ID was confirmed ("This fixed it") or linked by the support team, newest first."""
    with opened_store() as store:
        found = store.reports(bug_id, days)
    people = len({r.asked_by for r in found})
    lines = [f"{bug_id}: {len(found)} threads, {people} people, last {days:g} days"]
    for r in found:
        when = datetime.fromtimestamp(r.created, UTC)
        by = f", linked by {r.reported_by}" if r.how == "linked" else ""
        lines.append(f"  {when:%Y-%m-%d %H:%M}  {r.how:9}  {r.channel} {r.link or r.thread_ts or ''}  {r.asked_by}{by}")
    emit({"bug_id": bug_id, "days": days, "reports": [r.as_dict() for r in found]}, as_json, "\n".join(lines))


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
