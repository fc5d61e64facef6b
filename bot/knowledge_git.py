"""Commit a new knowledge entry when the knowledge folder is a git work tree, naming who filed it."""

from __future__ import annotations

import logging
import subprocess
from pathlib import Path

from bot.errors import BotError
from bot.records import KnownBug

log = logging.getLogger(__name__)
GIT_SECONDS = 60
FALLBACK_IDENTITY = ("-c", "user.name=supportbot", "-c", "user.email=supportbot@localhost")


class CommitFailed(BotError):
    """git refused or failed to commit the new entry."""

    message = "The entry was written but not committed; commit it by hand (see the bot's log for git's message)."


def git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "-C", str(root), *args], capture_output=True, text=True, timeout=GIT_SECONDS, check=False
    )


def commit_entry(root: Path, bug: KnownBug, author: str, author_id: str) -> str | None:
    """Commit the entry's folder alone, authored by `author` (a Slack user); the commit id, or None when `root` is
    not inside a git work tree."""
    try:
        if git(root, "rev-parse", "--is-inside-work-tree").stdout.strip() != "true":
            return None
        identity = () if git(root, "config", "user.email").stdout.strip() else FALLBACK_IDENTITY
        message = f"Add known bug {bug.id}: {bug.title}\n\nFiled from Slack by {author} ({author_id})."
        steps = {
            "add": ("add", "--", bug.id),
            "commit": (
                *identity,
                "commit",
                "-q",
                "-m",
                message,
                f"--author={author} <{author_id}@slack.invalid>",
                "--",
                bug.id,
            ),
        }
        for name, step in steps.items():
            done = git(root, *step)
            if done.returncode != 0:
                log.warning("git %s in %s failed: %s", name, root, done.stderr.strip())
                raise CommitFailed()
        return git(root, "rev-parse", "HEAD").stdout.strip()
    except (OSError, subprocess.TimeoutExpired) as err:
        log.warning("git in %s failed: %s", root, err)
        raise CommitFailed() from err
