"""Commands over the engine and its index: index, refresh, ask, demo, doctor."""

from __future__ import annotations

import stat
import sys
from pathlib import Path

import click

from bot.cli.common import JSON, KNOWLEDGE, emit, main, progress, ready_matcher
from bot.cli.slack import post_notices
from bot.settings import load_settings


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
    text += "".join(f"\n  changed: {change_line(c)}" for c in report.changes)
    posted = post_notices(settings)
    if posted is not None:
        text += f"\n{posted} fix notices posted"
    elif report.changes:
        text += "\nfix notices: `serve` posts them after its next refresh (or set SUPPORTBOT_SLACK_BOT_TOKEN)"
    emit({**report.as_dict(), "notices_posted": posted}, as_json, text)


def change_line(change: dict[str, str]) -> str:
    """ "bug-id: open → fixed, resolution changed"."""
    line = f"{change['bug_id']}: {change['old_status']} → {change['new_status']}"
    return line + (", resolution changed" if change["old_resolution"] != change["new_resolution"] else "")


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


@main.command("ask")
@KNOWLEDGE
@click.option("--text", default="", help="What the user wrote.")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@JSON
def ask_cmd(knowledge_dir: Path | None, text: str, files: tuple[Path, ...], as_json: bool) -> None:
    """Answer one query: a message and/or screenshots and voice notes."""
    from bot.cli.render import answer_json, answer_text
    from bot.records import Attachment, Query

    settings = load_settings(knowledge_dir=knowledge_dir)
    attachments = [Attachment(path.name, read_input(path, settings.max_file_bytes)) for path in files]
    matcher = ready_matcher(settings)
    answer = matcher.match(Query(text=text, attachments=tuple(attachments)))
    emit(answer_json(answer), as_json, answer_text(answer))
    if not any(i.text.strip() or i.image is not None for i in answer.inputs):
        sys.exit(2)


def read_input(path: Path, limit: int) -> bytes:
    """The bytes of a file given to `ask`; anything but a readable regular file within the limit is one sentence."""
    try:
        info = path.stat()
        if stat.S_ISDIR(info.st_mode):
            raise click.ClickException(f"{path} is a folder; pass the screenshot, recording or text file inside it.")
        if not stat.S_ISREG(info.st_mode):
            raise click.ClickException(
                f"{path} is a device or a pipe, not a file; save what you want to ask about to a file and pass that."
            )
        if info.st_size > limit:
            raise click.ClickException(
                f"{path} is {info.st_size / 1e6:.1f} MB, over the {limit / 1e6:.0f} MB limit "
                "(SUPPORTBOT_MAX_FILE_BYTES); pass a smaller file."
            )
        with path.open("rb") as handle:
            return handle.read(limit + 1)[:limit]
    except FileNotFoundError as err:
        raise click.ClickException(f"{path} does not exist; check the path and try again.") from err
    except OSError as err:
        raise click.ClickException(f"{path} cannot be read ({err.strerror}); check its permissions.") from err


@main.command("doctor")
@KNOWLEDGE
def doctor_cmd(knowledge_dir: Path | None) -> None:
    """Print the config in force, the models and what they support, and the index state."""
    from bot.cli.doctor import diagnose

    click.echo(diagnose(load_settings(knowledge_dir=knowledge_dir)))


@main.command("demo")
@KNOWLEDGE
@click.option("--queries", "queries_file", type=click.Path(path_type=Path), default=Path("examples/queries.jsonl"))
def demo_cmd(knowledge_dir: Path | None, queries_file: Path) -> None:
    """Index the knowledge folder and answer the sample queries, printing each reply the bot would post."""
    from bot.cli.render import answer_text
    from bot.evaluate import load_queries, to_query

    matcher = ready_matcher(load_settings(knowledge_dir=knowledge_dir))
    for item in load_queries(queries_file):
        asked = " + ".join([f"text {item.text!r}"] * bool(item.text) + [f.name for f in item.files])
        click.echo(f"\n> {item.id} ({item.kind}): {asked}")
        click.echo(answer_text(matcher.match(to_query(item))))
