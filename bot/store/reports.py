"""Reports per bug: each thread where a bug was confirmed ("This fixed it") or linked by the support team, once.

A report is kept per (thread, bug), so pressing twice, or a link followed by a confirmation, counts the thread
once. The counts ("reported 3 times by 2 people in the last 30 days") and the threads a fix notice goes to
(`bot.slack.notices`) are read from here.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Row, distinct, func, select

from bot.store import schema
from bot.store.database import Database
from bot.store.records import AnswerRecord, Report, ReportCount, ReportHow


class Reports:
    """The store's reports (a part of `bot.store.Store`)."""

    db: Database

    def add_report(self, record: AnswerRecord, bug_id: str, how: ReportHow, by: str, link: str | None = None) -> bool:
        """Count `record`'s thread for `bug_id`; False when that thread already counts for it."""
        channel, thread_ts = notice_place(record)
        values = {
            "bug_id": bug_id,
            "created": time.time(),
            "answer_id": record.id,
            "thread_key": f"{channel}:{thread_ts or record.id}",
            "channel": channel,
            "thread_ts": thread_ts,
            "link": link,
            "asked_by": record.user,
            "reported_by": by,
            "how": how,
        }
        with self.db.begin() as conn:
            return bool(conn.execute(self.db.insert_ignore(schema.reports).values(values)).rowcount == 1)

    def report_counts(self, bug_ids: Sequence[str] | None, days: float) -> dict[str, ReportCount]:
        """How often each bug (every reported bug when `bug_ids` is None) was reported over the last `days`."""
        with self.db.begin() as conn:
            return count_reports(conn, time.time() - days * 86400, days, bug_ids)

    def reports(self, bug_id: str, days: float) -> list[Report]:
        """The threads where `bug_id` was reported over the last `days`, newest first."""
        r = schema.reports
        since = time.time() - days * 86400
        query = select(r).where(r.c.bug_id == bug_id, r.c.created >= since).order_by(r.c.created.desc(), r.c.id.desc())
        with self.db.begin() as conn:
            return [report_from_row(row) for row in conn.execute(query)]

    def report_threads(self, bug_id: str, since: float, until: float) -> list[Report]:
        """The threads where `bug_id` was reported between `since` and `until`, oldest first."""
        r = schema.reports
        query = (
            select(r)
            .where(r.c.bug_id == bug_id, r.c.created >= since, r.c.created <= until)
            .order_by(r.c.created, r.c.id)
        )
        with self.db.begin() as conn:
            return [report_from_row(row) for row in conn.execute(query)]


def count_reports(
    conn: Connection, since: float, days: float, bug_ids: Sequence[str] | None = None
) -> dict[str, ReportCount]:
    """Reports and distinct askers per bug since `since`, most reported first."""
    r = schema.reports
    query = (
        select(r.c.bug_id, func.count().label("reports"), func.count(distinct(r.c.asked_by)).label("people"))
        .where(r.c.created >= since)
        .group_by(r.c.bug_id)
        .order_by(func.count().desc(), r.c.bug_id)
    )
    if bug_ids is not None:
        if not bug_ids:
            return {}
        query = query.where(r.c.bug_id.in_(list(bug_ids)))
    return {row.bug_id: ReportCount(row.bug_id, int(row.reports), int(row.people), days) for row in conn.execute(query)}


def notice_place(record: AnswerRecord) -> tuple[str, str | None]:
    """Where news about an answer's bug goes: its thread, the DM it was asked in, or (for `/findbug`, answered
    privately) a DM to the asker."""
    if record.source == "command":
        return record.user, None
    if record.thread_ts:
        return record.channel, record.thread_ts
    if record.source == "dm":
        return record.channel, None
    return record.channel, record.message_ts


def report_from_row(row: Row[Any]) -> Report:
    return Report(
        bug_id=row.bug_id,
        answer_id=row.answer_id,
        channel=row.channel,
        thread_ts=row.thread_ts,
        asked_by=row.asked_by,
        reported_by=row.reported_by,
        how=row.how,
        created=row.created,
        link=row.link,
    )
