"""Slack's delivery claims on the store: each delivery (a message, a command, an escalation) is handled once.

A claim is a row keyed by what every delivery of one ask shares (`Ask.key`, `escalate:<answer id>`, and for the
support loop `triage:<answer id>` and `notice:<change>:<thread>`), with a
state — "claimed" while the work runs, "answered" once it is done — and the time it was claimed. Claiming
is an insert-if-absent in one transaction, so of several replicas (or threads) exactly one wins; a claim that
never finished and is older than `stale_seconds` belonged to a process that died mid-answer, so a redelivery
takes it over (again exactly one wins). The retention purge deletes old claims with the rest.
"""

from __future__ import annotations

import time

from sqlalchemy import delete, select, update

from bot.store import Store, schema

CLAIMED, ANSWERED = "claimed", "answered"
STALE_CLAIM_SECONDS = 900.0


class SlackStore(Store):
    """The store plus Slack's delivery claims."""

    def claim(self, key: str, stale_seconds: float = STALE_CLAIM_SECONDS) -> bool:
        """True when this caller may do the work of `key`: it was never claimed, or its claim went stale."""
        c, now = schema.claims, time.time()
        with self.db.begin() as conn:
            inserted = conn.execute(self.db.insert_ignore(c).values(key=key, state=CLAIMED, claimed_at=now))
            if inserted.rowcount == 1:
                return True
            stale = (c.c.key == key) & (c.c.state == CLAIMED) & (c.c.claimed_at < now - stale_seconds)
            return bool(conn.execute(update(c).where(stale).values(claimed_at=now)).rowcount == 1)

    def claimed(self, key: str) -> bool:
        """Whether `key` is claimed or done (its work is someone's already)."""
        with self.db.begin() as conn:
            return conn.execute(select(schema.claims.c.key).where(schema.claims.c.key == key)).first() is not None

    def finish(self, key: str) -> None:
        """Mark the work of `key` done: no later delivery takes it over."""
        c = schema.claims
        with self.db.begin() as conn:
            conn.execute(update(c).where(c.c.key == key).values(state=ANSWERED, finished_at=time.time()))

    def release(self, key: str) -> None:
        """Forget a claim, so the work it guarded may be tried again."""
        with self.db.begin() as conn:
            conn.execute(delete(schema.claims).where(schema.claims.c.key == key))
