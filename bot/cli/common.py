"""What every `supportbot` command shares: the command group, common options, progress and output."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TypeVar

import click

from bot.errors import BotError
from bot.memory import limit_arenas
from bot.settings import Settings

T = TypeVar("T")
KNOWLEDGE = click.option("--knowledge", "knowledge_dir", type=click.Path(path_type=Path), help="Knowledge folder.")
JSON = click.option("--json", "as_json", is_flag=True, help="Print JSON.")


def progress(items: Iterable[T], total: int | None = None, label: str = "") -> Iterable[T]:
    """A progress bar on stderr, shown only when stderr is a terminal (logs and pipes stay clean)."""
    from tqdm import tqdm

    return tqdm(items, total=total, desc=label, file=sys.stderr, leave=False, mininterval=1.0, disable=None)


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
    limit_arenas()  # before any model starts its threads
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )


def ready_matcher(settings: Settings, model: Any = None) -> Any:
    """A matcher whose index exists (built now if missing); `model` replaces the ranking model in force."""
    from bot.matcher import Matcher
    from bot.refresh import build_refresher

    matcher = Matcher.from_settings(settings, model)
    if not matcher.index.exists():
        build_refresher(settings, matcher.embedder, matcher.extractor).refresh(
            progress=lambda items, n: progress(items, n, "indexing")
        )
    return matcher
