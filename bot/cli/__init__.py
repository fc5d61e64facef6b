"""The `supportbot` command: builds objects from `Settings`, delegates, and prints.

Each topic's commands live in their own module and register on the one group, `main`.
"""

from bot.cli import engine, quality, slack, sources  # noqa: F401 - importing registers the commands
from bot.cli.common import main

__all__ = ["main"]
