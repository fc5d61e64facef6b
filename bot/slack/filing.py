"""Filing a new known bug from the triage channel: the asker's files fetched again, the entry written atomically
(`bot.entry_writer`, refusing an id that exists), and — when `knowledge_git_commit` is on and the knowledge folder
is a git work tree — committed with the triager as its author (`bot.knowledge_git`)."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

from bot.entry_writer import EntryDraft, write_entry
from bot.errors import BotError
from bot.knowledge_git import commit_entry
from bot.records import Attachment, KnownBug
from bot.settings import Settings
from bot.slack.download import FileFetcher

log = logging.getLogger(__name__)


class Filing:
    """Writes new entries into the knowledge folder from triage."""

    def __init__(self, settings: Settings, fetcher: FileFetcher) -> None:
        self.root = Path(settings.knowledge_dir)
        self.commit = settings.knowledge_git_commit
        self.fetcher = fetcher

    def file(
        self, draft: EntryDraft, file_ids: tuple[str, ...], author: str, author_id: str
    ) -> tuple[KnownBug, list[str]]:
        """Write the entry with the files fetched from Slack; the parsed entry and one note per file left out or
        step that failed (a failed commit leaves the entry written). Raises `KnowledgeError` when it cannot be
        written (its id was taken meanwhile, or nothing is left to match on)."""
        media, notes = self.fetch(file_ids)
        bug = write_entry(self.root, replace(draft, media=tuple(media)))
        log.info("filed new known bug %s (%d files) for %s", bug.id, len(bug.media), author_id)
        if self.commit:
            try:
                commit_entry(self.root, bug, author, author_id)
            except BotError as err:
                log.warning("filed %s but did not commit it: %s", bug.id, err.message)
                notes.append(err.message)
        return bug, notes

    def fetch(self, file_ids: tuple[str, ...]) -> tuple[list[Attachment], list[str]]:
        """The case's files downloaded again (Slack keeps them; the bot kept only their text)."""
        media, notes = [], []
        for file_id in file_ids:
            try:
                media.append(self.fetcher.fetch({"id": file_id}))
            except BotError as err:
                log.info("file %s of a filed bug not fetched: %s", file_id, err.message)
                notes.append(f"A file could not be attached: {err.message}")
        return media, notes
