"""Durable record of every answer given in Slack and every button pressed on it (SQLite in the data dir).

One `FeedbackStore` is shared by all worker threads: a single connection in WAL mode behind a lock.
It also remembers which Slack deliveries were handled (`claim`), so a restart never replies twice.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from bot.records import Answer
from bot.settings import Settings

FeedbackKind = Literal["fixed", "not_it", "escalated"]
FEEDBACK_KINDS: tuple[FeedbackKind, ...] = ("fixed", "not_it", "escalated")
HANDLED_RETENTION_SECONDS = 30 * 24 * 3600
STORE_NAME = "feedback.sqlite3"
SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    id TEXT PRIMARY KEY, created REAL NOT NULL, source TEXT NOT NULL, team TEXT, channel TEXT,
    user TEXT, message_ts TEXT, reply_ts TEXT, decision TEXT NOT NULL, confidence REAL NOT NULL,
    best_bug TEXT, inputs TEXT NOT NULL, candidates TEXT NOT NULL, error TEXT, timings TEXT
);
CREATE INDEX IF NOT EXISTS answers_created ON answers (created);
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT, answer_id TEXT NOT NULL, created REAL NOT NULL,
    user TEXT, kind TEXT NOT NULL, bug_id TEXT, detail TEXT
);
CREATE INDEX IF NOT EXISTS feedback_answer ON feedback (answer_id);
CREATE TABLE IF NOT EXISTS handled (key TEXT PRIMARY KEY, created REAL NOT NULL);
"""


@dataclass(frozen=True)
class InputRecord:
    """One query input as stored: what was extracted from it, or why it could not be used."""

    name: str
    kind: str
    text: str = ""
    error: str | None = None


@dataclass(frozen=True)
class CandidateRecord:
    """One bug offered in an answer, best first."""

    bug_id: str
    title: str
    score: float
    evidence: str = ""


@dataclass(frozen=True)
class AnswerRecord:
    """Who asked what, where, and what the bot answered (`decision` is "error" when it failed)."""

    id: str
    source: str
    channel: str
    user: str
    decision: str
    confidence: float = 0.0
    inputs: tuple[InputRecord, ...] = ()
    candidates: tuple[CandidateRecord, ...] = ()
    team: str | None = None
    message_ts: str | None = None
    reply_ts: str | None = None
    error: str | None = None
    timings: dict[str, float] = field(default_factory=dict)
    created: float = field(default_factory=time.time)

    @property
    def best_bug(self) -> str | None:
        offered = self.decision in ("match", "uncertain") and self.candidates
        return self.candidates[0].bug_id if offered else None

    @property
    def offered_bug(self) -> str | None:
        """The bug the reply named, whatever the decision (a no_match reply names the closest one)."""
        return self.candidates[0].bug_id if self.candidates else None


@dataclass(frozen=True)
class ConfirmedExample:
    """A query a user said was fixed by `bug_id`: the material to learn from, with its provenance."""

    bug_id: str
    texts: tuple[str, ...]
    answer_id: str
    channel: str
    asked_by: str
    message_ts: str | None
    confirmed_by: str
    confirmed_at: float


def evidence_line(answer: Answer, index: int) -> str:
    """The first evidence of the `index`-th match as "query text ← knowledge source"."""
    evidence = answer.matches[index].evidence
    return f"{evidence[0].query_text} <- {evidence[0].source}" if evidence else ""


def answer_record(answer: Answer, record_id: str, **where: Any) -> AnswerRecord:
    """Turn an engine answer into a stored record; `where` gives source, channel, user, team, message_ts."""
    inputs = tuple(InputRecord(i.name, i.kind, i.text, i.error) for i in answer.inputs)
    candidates = tuple(
        CandidateRecord(m.bug.id, m.bug.title, round(m.score, 4), evidence_line(answer, n))
        for n, m in enumerate(answer.matches)
    )
    return AnswerRecord(
        id=record_id,
        decision=answer.decision,
        confidence=answer.confidence,
        inputs=inputs,
        candidates=candidates,
        timings=dict(answer.timings_ms),
        **where,
    )


class FeedbackStore:
    """Answers, feedback and handled-delivery keys in one SQLite file; safe to share between threads."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, timeout=10.0, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)
        self._db.execute("DELETE FROM handled WHERE created < ?", (time.time() - HANDLED_RETENTION_SECONDS,))

    @classmethod
    def from_settings(cls, settings: Settings) -> FeedbackStore:
        return cls(Path(settings.data_dir) / STORE_NAME)

    @contextmanager
    def _locked(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            yield self._db

    def close(self) -> None:
        with self._locked() as db:
            db.close()

    def claim(self, key: str) -> bool:
        """True the first time `key` is claimed (ever, across restarts); False for any repeat."""
        with self._locked() as db:
            cursor = db.execute("INSERT OR IGNORE INTO handled (key, created) VALUES (?, ?)", (key, time.time()))
            return cursor.rowcount == 1

    def release(self, key: str) -> None:
        """Forget a claim, so the work it guarded may be tried again."""
        with self._locked() as db:
            db.execute("DELETE FROM handled WHERE key = ?", (key,))

    def record_answer(self, record: AnswerRecord) -> None:
        """Store (or replace) one answer."""
        row = (
            record.id,
            record.created,
            record.source,
            record.team,
            record.channel,
            record.user,
            record.message_ts,
            record.reply_ts,
            record.decision,
            record.confidence,
            record.best_bug,
            json.dumps([asdict(i) for i in record.inputs]),
            json.dumps([asdict(c) for c in record.candidates]),
            record.error,
            json.dumps(record.timings),
        )
        with self._locked() as db:
            db.execute(f"INSERT OR REPLACE INTO answers VALUES ({', '.join('?' * len(row))})", row)

    def set_reply_ts(self, answer_id: str, reply_ts: str | None) -> None:
        with self._locked() as db:
            db.execute("UPDATE answers SET reply_ts = ? WHERE id = ?", (reply_ts, answer_id))

    def answer(self, answer_id: str) -> AnswerRecord | None:
        """The stored answer with this id, if any."""
        with self._locked() as db:
            row = db.execute("SELECT * FROM answers WHERE id = ?", (answer_id,)).fetchone()
        return None if row is None else row_to_record(row)

    def answers(self, since: float = 0.0, channel: str | None = None) -> list[AnswerRecord]:
        """Stored answers since a time (optionally in one channel), oldest first."""
        args: list[Any]
        query, args = "SELECT * FROM answers WHERE created >= ?", [since]
        if channel is not None:
            query, args = query + " AND channel = ?", [*args, channel]
        with self._locked() as db:
            rows = db.execute(query + " ORDER BY created", args).fetchall()
        return [row_to_record(r) for r in rows]

    def record_feedback(
        self, answer_id: str, user: str, kind: FeedbackKind, bug_id: str | None, detail: dict[str, Any] | None = None
    ) -> None:
        """Store one button press."""
        with self._locked() as db:
            db.execute(
                "INSERT INTO feedback (answer_id, created, user, kind, bug_id, detail) VALUES (?, ?, ?, ?, ?, ?)",
                (answer_id, time.time(), user, kind, bug_id, json.dumps(detail or {})),
            )

    def feedback(self, answer_id: str) -> list[dict[str, Any]]:
        """Every press on one answer, oldest first."""
        with self._locked() as db:
            rows = db.execute("SELECT * FROM feedback WHERE answer_id = ? ORDER BY id", (answer_id,)).fetchall()
        return [{**dict(r), "detail": json.loads(r["detail"] or "{}")} for r in rows]

    def confirmed_examples(self, since: float = 0.0) -> list[ConfirmedExample]:
        """Queries users said a bug fixed (one per answer and bug), newest confirmation last."""
        with self._locked() as db:
            rows = db.execute(
                "SELECT f.bug_id, f.user AS confirmed_by, MAX(f.created) AS confirmed_at, a.* FROM feedback f "
                "JOIN answers a ON a.id = f.answer_id WHERE f.kind = 'fixed' AND f.bug_id IS NOT NULL "
                "AND f.created >= ? GROUP BY f.answer_id, f.bug_id ORDER BY confirmed_at",
                (since,),
            ).fetchall()
        return [
            ConfirmedExample(
                bug_id=r["bug_id"],
                texts=tuple(i["text"] for i in json.loads(r["inputs"]) if i["text"]),
                answer_id=r["id"],
                channel=r["channel"],
                asked_by=r["user"],
                message_ts=r["message_ts"],
                confirmed_by=r["confirmed_by"],
                confirmed_at=r["confirmed_at"],
            )
            for r in rows
        ]

    def stats(self, days: float = 7.0, top: int = 10) -> dict[str, Any]:
        """Answer rate, match rate, feedback counts and the most frequent bugs over the last `days`."""
        since = time.time() - days * 86400
        with self._locked() as db:
            decisions = dict(
                db.execute(
                    "SELECT decision, COUNT(*) FROM answers WHERE created >= ? GROUP BY decision", (since,)
                ).fetchall()
            )
            feedback = dict(
                db.execute(
                    "SELECT kind, COUNT(DISTINCT answer_id) FROM feedback WHERE created >= ? GROUP BY kind", (since,)
                ).fetchall()
            )
            bugs = db.execute(
                "SELECT a.best_bug, COUNT(*) AS answers, SUM(EXISTS (SELECT 1 FROM feedback f WHERE "
                "f.answer_id = a.id AND f.kind = 'fixed')) AS fixed FROM answers a WHERE a.created >= ? "
                "AND a.best_bug IS NOT NULL GROUP BY a.best_bug ORDER BY answers DESC, a.best_bug LIMIT ?",
                (since, top),
            ).fetchall()
        return summarize(days, decisions, feedback, [dict(b) for b in bugs])


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


def format_stats(stats: dict[str, Any]) -> str:
    """The stats as a few plain lines, for the CLI."""
    fb = stats["feedback"]
    lines = [
        f"last {stats['days']:g} days: {stats['asked']} asked, {stats['answered']} answered "
        f"({stats['answer_rate']:.0%}), {stats['matched']} matched ({stats['match_rate']:.0%}), "
        f"{stats['uncertain']} uncertain, {stats['no_match']} not known, {stats['errors']} failed",
        f"feedback: {fb['fixed']} fixed it, {fb['not_it']} not it, {fb['escalated']} escalated",
    ]
    if stats["top_bugs"]:
        lines.append("top bugs:")
        lines += [f"  {b['answers']:4d}  {b['bug_id']}  ({b['fixed']} fixed it)" for b in stats["top_bugs"]]
    return "\n".join(lines)


def stats(settings: Settings, days: float = 7.0) -> dict[str, Any]:
    """Stats over the last `days` from the store in the settings' data dir (empty when there is none yet)."""
    if not (Path(settings.data_dir) / STORE_NAME).exists():
        return summarize(days, {}, {}, [])
    store = FeedbackStore.from_settings(settings)
    try:
        return store.stats(days)
    finally:
        store.close()


def row_to_record(row: sqlite3.Row) -> AnswerRecord:
    return AnswerRecord(
        id=row["id"],
        source=row["source"],
        channel=row["channel"],
        user=row["user"],
        decision=row["decision"],
        confidence=row["confidence"],
        inputs=tuple(InputRecord(**i) for i in json.loads(row["inputs"])),
        candidates=tuple(CandidateRecord(**c) for c in json.loads(row["candidates"])),
        team=row["team"],
        message_ts=row["message_ts"],
        reply_ts=row["reply_ts"],
        error=row["error"],
        timings=json.loads(row["timings"] or "{}"),
        created=row["created"],
    )
