"""Everything that must outlive a process, behind one interface shared by every replica.

Answers and the buttons pressed on them (`answers.py`), learned examples and negatives (`examples.py`),
reports per bug (`reports.py`), bug changes seen by refreshes (`changes.py`), retention (`retention.py`); Slack's
delivery and notice claims live in `bot/slack/claims.py` on the same database.
`SUPPORTBOT_STATE_URL` picks the database: SQLite in the data dir by default, `postgresql://…` for several
replicas (`database.py`). The schema is migrated on open; a data dir from before the store is imported once
(`legacy.py`). Secrets are redacted from everything users sent before it is written (`bot.redact`).

A new table or column is a new file in `migrations/versions/` (revision id `000N`, `down_revision` the one
before) plus its `Table` in `schema.py`; `tests/test_store.py` checks that the two agree.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Self

from bot.redact import Redactor
from bot.settings import Settings
from bot.store.answers import TRIAGE_SOURCE, AnswerLog
from bot.store.changes import BugChanges, change_key
from bot.store.database import Database, StoreNotConfigured, StoreUnavailable, state_url
from bot.store.examples import ExampleNotFound, LearnedExamples, learn_from_feedback
from bot.store.legacy import import_legacy
from bot.store.rates import RateBuckets
from bot.store.records import (
    FEEDBACK_KINDS,
    AnswerRecord,
    BugChange,
    CandidateRecord,
    Example,
    ExampleInput,
    FeedbackKind,
    InputRecord,
    Negative,
    Report,
    ReportCount,
    ReportHow,
    answer_record,
)
from bot.store.reports import Reports, notice_place
from bot.store.retention import Retention

__all__ = [
    "FEEDBACK_KINDS",
    "TRIAGE_SOURCE",
    "AnswerRecord",
    "BugChange",
    "CandidateRecord",
    "Example",
    "ExampleInput",
    "ExampleNotFound",
    "FeedbackKind",
    "InputRecord",
    "Negative",
    "Report",
    "ReportCount",
    "ReportHow",
    "Store",
    "StoreNotConfigured",
    "StoreUnavailable",
    "answer_record",
    "change_key",
    "learn_from_feedback",
    "notice_place",
]


class Store(AnswerLog, LearnedExamples, Reports, BugChanges, RateBuckets, Retention):
    """Answers, feedback, learned examples, negatives, reports, bug changes and rate buckets in one database; safe
    to share between threads."""

    def __init__(self, db: Database) -> None:
        self.db = db

    @cached_property
    def redactor(self) -> Redactor:  # type: ignore[override]
        """The secret detector, built on the first write (readers never pay for it)."""
        return Redactor()

    @classmethod
    def open(cls, settings: Settings) -> Self:
        """The store the settings name, migrated, with an old data dir's files imported (see the module docstring)."""
        store = cls(Database.open(state_url(settings)))
        import_legacy(store, Path(settings.data_dir))
        return store

    def close(self) -> None:
        self.db.close()
