"""Bug changes that refreshes saw: a bug's status or resolution changed in the knowledge files.

The refresher records each change before it writes the index (so a crash in between loses nothing; the next
refresh sees the same change and its key makes the record a no-op). Whoever posts fix notices
(`bot.slack.notices`) reads the changes not yet noticed and marks each once every thread has its notice.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from dataclasses import replace

from sqlalchemy import select, update

from bot.store import schema
from bot.store.database import Database
from bot.store.records import BugChange


class BugChanges:
    """The store's bug changes (a part of `bot.store.Store`)."""

    db: Database

    def record_changes(self, changes: Sequence[BugChange]) -> list[BugChange]:
        """Store each change once (by its key); the changes as stored, with their ids."""
        c = schema.bug_changes
        stored = []
        with self.db.begin() as conn:
            for change in changes:
                values = {**change.as_dict(), "key": change.key, "created": time.time()}
                conn.execute(self.db.insert_ignore(c).values(values))
                row = conn.execute(select(c.c.id, c.c.created).where(c.c.key == change.key)).one()
                stored.append(replace(change, id=int(row.id), created=float(row.created)))
        return stored

    def pending_changes(self, since: float) -> list[BugChange]:
        """Changes recorded since `since` whose notices are not all out yet, oldest first."""
        c = schema.bug_changes
        query = select(c).where(c.c.noticed.is_(None), c.c.created >= since).order_by(c.c.id)
        with self.db.begin() as conn:
            rows = conn.execute(query).all()
        return [
            BugChange(
                r.bug_id,
                r.title,
                r.old_status,
                r.new_status,
                r.old_resolution,
                r.new_resolution,
                key=r.key,
                id=r.id,
                created=r.created,
            )
            for r in rows
        ]

    def mark_noticed(self, change_id: int) -> None:
        """Every thread of this change has its notice (or was given up on)."""
        c = schema.bug_changes
        with self.db.begin() as conn:
            conn.execute(update(c).where(c.c.id == change_id).values(noticed=time.time()))


def change_key(bug_id: str, old_hash: str, new_hash: str) -> str:
    """One key per change of one entry: the bug and its content before and after."""
    return hashlib.sha256(f"{bug_id}\0{old_hash}\0{new_hash}".encode()).hexdigest()
