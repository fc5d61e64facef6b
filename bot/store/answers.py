"""Answers given in Slack and the buttons pressed on them, and the stats over both."""

from __future__ import annotations

import time
from dataclasses import asdict, replace
from typing import Any

from sqlalchemy import Row, and_, distinct, func, select, update

from bot.redact import Redactor
from bot.store import schema
from bot.store.database import Database
from bot.store.records import FEEDBACK_KINDS, AnswerRecord, CandidateRecord, FeedbackKind, InputRecord
from bot.store.reports import count_reports

TRIAGE_SOURCE = "triage"  # an answer the support team gave by linking an escalation to a known bug


class AnswerLog:
    """The store's answers and feedback (a part of `bot.store.Store`)."""

    db: Database
    redactor: Redactor

    def record_answer(self, record: AnswerRecord) -> None:
        """Store one answer (replacing an earlier version of it, feedback kept), secrets redacted first."""
        row = answer_row(self.redact_record(record))
        insert = self.db.insert(schema.answers).values(row)
        insert = insert.on_conflict_do_update(index_elements=["id"], set_={k: insert.excluded[k] for k in row})
        with self.db.begin() as conn:
            conn.execute(insert)

    def redact_record(self, record: AnswerRecord) -> AnswerRecord:
        """The record with secrets taken out of everything a user sent: inputs, evidence, error."""
        redact = self.redactor.redact
        return replace(
            record,
            inputs=tuple(replace(i, text=redact(i.text)) for i in record.inputs),
            candidates=tuple(replace(c, evidence=redact(c.evidence)) for c in record.candidates),
            error=redact(record.error) if record.error else record.error,
        )

    def set_reply_ts(self, answer_id: str, reply_ts: str | None) -> None:
        with self.db.begin() as conn:
            conn.execute(update(schema.answers).where(schema.answers.c.id == answer_id).values(reply_ts=reply_ts))

    def answer(self, answer_id: str) -> AnswerRecord | None:
        """The stored answer with this id, if any."""
        with self.db.begin() as conn:
            row = conn.execute(select(schema.answers).where(schema.answers.c.id == answer_id)).first()
        return None if row is None else answer_from_row(row)

    def latest_in_thread(self, channel: str, thread_ts: str) -> AnswerRecord | None:
        """The newest answer posted (with a reply) in one thread, if any."""
        a = schema.answers
        query = (
            select(a)
            .where(a.c.channel == channel, a.c.thread_ts == thread_ts, a.c.reply_ts.is_not(None))
            .order_by(a.c.created.desc())
            .limit(1)
        )
        with self.db.begin() as conn:
            row = conn.execute(query).first()
        return None if row is None else answer_from_row(row)

    def feedback_of(self, answer_id: str) -> list[dict[str, Any]]:
        """The presses on one answer, oldest first: kind, user, bug_id and detail of each."""
        f = schema.feedback
        query = select(f.c.kind, f.c.user_id, f.c.bug_id, f.c.detail).where(f.c.answer_id == answer_id)
        with self.db.begin() as conn:
            rows = conn.execute(query.order_by(f.c.id)).all()
        return [{"kind": r.kind, "user": r.user_id, "bug_id": r.bug_id, "detail": dict(r.detail or {})} for r in rows]

    def record_feedback(
        self, answer_id: str, user: str, kind: FeedbackKind, bug_id: str | None, detail: dict[str, Any] | None = None
    ) -> bool:
        """Store one button press; False when this user already pressed this kind on this answer (kept once)."""
        values = {
            "answer_id": answer_id,
            "created": time.time(),
            "user_id": user,
            "kind": kind,
            "bug_id": bug_id,
            "detail": detail or {},
        }
        with self.db.begin() as conn:
            return bool(conn.execute(self.db.insert_ignore(schema.feedback).values(values)).rowcount == 1)

    def stats(self, days: float = 7.0, top: int = 10) -> dict[str, Any]:
        """Answer rate, match rate, feedback counts, the most frequent bugs and the most reported ones over the last
        `days` (answers the support team linked from triage are not questions, so they are not counted as asked)."""
        since = time.time() - days * 86400
        a, f = schema.answers, schema.feedback
        asked = and_(a.c.created >= since, a.c.source != TRIAGE_SOURCE)
        fixed = select(f.c.answer_id).where(f.c.kind == "fixed").distinct().subquery()
        bugs = (
            select(a.c.best_bug, func.count().label("answers"), func.count(fixed.c.answer_id).label("fixed"))
            .select_from(a.outerjoin(fixed, fixed.c.answer_id == a.c.id))
            .where(and_(asked, a.c.best_bug.is_not(None)))
            .group_by(a.c.best_bug)
            .order_by(func.count().desc(), a.c.best_bug)
            .limit(top)
        )
        with self.db.begin() as conn:
            decisions = conn.execute(select(a.c.decision, func.count()).where(asked).group_by(a.c.decision)).all()
            feedback = conn.execute(
                select(f.c.kind, func.count(distinct(f.c.answer_id))).where(f.c.created >= since).group_by(f.c.kind)
            ).all()
            top_bugs = [dict(r._mapping) for r in conn.execute(bugs)]
            reported = list(count_reports(conn, since, days).values())[:top]
        result = summarize(days, {d: int(n) for d, n in decisions}, {k: int(n) for k, n in feedback}, top_bugs)
        result["reports"] = [{"bug_id": c.bug_id, "reports": c.reports, "people": c.people} for c in reported]
        return result


def summarize(
    days: float, decisions: dict[str, int], feedback: dict[str, int], bugs: list[dict[str, Any]]
) -> dict[str, Any]:
    """The stats dict: counts plus the rates derived from them."""
    asked = sum(decisions.values())
    answered = decisions.get("match", 0) + decisions.get("uncertain", 0)
    return {
        "days": days,
        "asked": asked,
        "answered": answered,
        "matched": decisions.get("match", 0),
        "uncertain": decisions.get("uncertain", 0),
        "no_match": decisions.get("no_match", 0),
        "errors": decisions.get("error", 0),
        "answer_rate": round(answered / asked, 4) if asked else 0.0,
        "match_rate": round(decisions.get("match", 0) / asked, 4) if asked else 0.0,
        "feedback": {kind: feedback.get(kind, 0) for kind in FEEDBACK_KINDS},
        "top_bugs": [{"bug_id": b["best_bug"], "answers": b["answers"], "fixed": b["fixed"]} for b in bugs],
    }


def answer_row(record: AnswerRecord) -> dict[str, Any]:
    """The `answers` row of a record."""
    return {
        "id": record.id,
        "created": record.created,
        "source": record.source,
        "team": record.team,
        "channel": record.channel,
        "user_id": record.user,
        "message_ts": record.message_ts,
        "reply_ts": record.reply_ts,
        "decision": record.decision,
        "confidence": record.confidence,
        "best_bug": record.best_bug,
        "inputs": [asdict(i) for i in record.inputs],
        "candidates": [asdict(c) for c in record.candidates],
        "error": record.error,
        "timings": record.timings,
        "thread_ts": record.thread_ts,
        "file_ids": list(record.file_ids),
    }


def answer_from_row(row: Row[Any]) -> AnswerRecord:
    r = row._mapping
    return AnswerRecord(
        id=r["id"],
        source=r["source"],
        channel=r["channel"],
        user=r["user_id"],
        decision=r["decision"],
        confidence=r["confidence"],
        inputs=tuple(InputRecord(**i) for i in r["inputs"]),
        candidates=tuple(CandidateRecord(**c) for c in r["candidates"]),
        team=r["team"],
        message_ts=r["message_ts"],
        reply_ts=r["reply_ts"],
        error=r["error"],
        timings=dict(r["timings"] or {}),
        created=r["created"],
        thread_ts=r["thread_ts"],
        file_ids=tuple(r["file_ids"] or ()),
    )
