"""How long the store keeps what people sent, and forgetting one person on request."""

from __future__ import annotations

import time

from sqlalchemy import delete, or_

from bot.store import schema
from bot.store.database import Database
from bot.store.rates import IDLE_SECONDS


class Retention:
    """Purging old records and one user's records (a part of `bot.store.Store`)."""

    db: Database

    def purge(self, before: float) -> dict[str, int]:
        """Delete answers (with their feedback and reports), feedback, reports, bug changes and delivery claims
        older than `before`.

        Rate buckets idle for an hour (full again by then) go too. Learned examples and negatives stay until they
        are removed (`supportbot examples remove`, or
        `forget`): they are what the bot learned, confirmed by the person who asked.
        """
        a, f, c, r, b = schema.answers, schema.feedback, schema.claims, schema.reports, schema.bug_changes
        with self.db.begin() as conn:
            old = a.select().with_only_columns(a.c.id).where(a.c.created < before)
            feedback = conn.execute(delete(f).where(or_(f.c.created < before, f.c.answer_id.in_(old)))).rowcount
            reports = conn.execute(delete(r).where(or_(r.c.created < before, r.c.answer_id.in_(old)))).rowcount
            answers = conn.execute(delete(a).where(a.c.created < before)).rowcount
            changes = conn.execute(delete(b).where(b.c.created < before)).rowcount
            claims = conn.execute(delete(c).where(c.c.claimed_at < before)).rowcount
            idle = schema.rate_buckets.c.updated < time.time() - IDLE_SECONDS
            conn.execute(delete(schema.rate_buckets).where(idle))
        return {"answers": answers, "feedback": feedback, "reports": reports, "changes": changes, "claims": claims}

    def forget_user(self, user: str) -> dict[str, int]:
        """Delete everything stored about one person: what they asked, pressed, reported, and what was learned from
        them."""
        a, f, e, n, r = schema.answers, schema.feedback, schema.examples, schema.negatives, schema.reports
        with self.db.begin() as conn:
            asked = a.select().with_only_columns(a.c.id).where(a.c.user_id == user)
            feedback = conn.execute(delete(f).where(or_(f.c.user_id == user, f.c.answer_id.in_(asked)))).rowcount
            mine = or_(r.c.asked_by == user, r.c.reported_by == user, r.c.answer_id.in_(asked))
            reports = conn.execute(delete(r).where(mine)).rowcount
            answers = conn.execute(delete(a).where(a.c.user_id == user)).rowcount
            examples = conn.execute(delete(e).where(or_(e.c.asked_by == user, e.c.confirmed_by == user))).rowcount
            negatives = conn.execute(delete(n).where(or_(n.c.asked_by == user, n.c.confirmed_by == user))).rowcount
        return {
            "answers": answers,
            "feedback": feedback,
            "reports": reports,
            "examples": examples,
            "negatives": negatives,
        }
