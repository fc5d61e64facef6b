"""Token buckets in the store, so a rate limit holds across every replica that shares it."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select, update

from bot.store import schema
from bot.store.database import Database

REFILL_SECONDS = 60.0  # a bucket refills its whole capacity in a minute
IDLE_SECONDS = 3600.0  # a bucket untouched this long is full again: the purge drops it


class RateBuckets:
    """Token buckets keyed by name (a part of `bot.store.Store`): each holds at most its capacity and refills at its
    capacity per minute; a new bucket starts full."""

    db: Database

    def take_tokens(self, buckets: Sequence[tuple[str, float]], now: float) -> int | None:
        """Take one token from each (key, capacity) bucket when every one holds a token, and return None; else
        return the position of the first empty bucket and take nothing. One transaction, the rows locked in key
        order, so replicas asking at once never both take the last token."""
        t = schema.rate_buckets
        keys = sorted({key for key, _ in buckets})
        with self.db.begin() as conn:
            conn.execute(self.db.insert_ignore(t), [{"key": k, "tokens": c, "updated": now} for k, c in buckets])
            query = select(t).where(t.c.key.in_(keys)).order_by(t.c.key).with_for_update()
            held = {row.key: row for row in conn.execute(query)}
            levels = [
                min(capacity, held[key].tokens + max(0.0, now - held[key].updated) * capacity / REFILL_SECONDS)
                for key, capacity in buckets
            ]
            empty = next((n for n, level in enumerate(levels) if level < 1.0), None)
            if empty is None:
                for (key, _), level in zip(buckets, levels, strict=True):
                    conn.execute(update(t).where(t.c.key == key).values(tokens=level - 1.0, updated=now))
        return empty
