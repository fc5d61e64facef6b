"""The tables of the store, as SQLAlchemy Core objects (the migrations in `migrations/versions` create them).

Times are seconds since the epoch (float) taken from the writing process's clock. Each table belongs to one
topic: answers and feedback (`answers.py`), learned examples and negatives (`examples.py`), reports per bug
(`reports.py`), bug changes seen by refreshes (`changes.py`), Slack's delivery and notice claims
(`bot/slack/claims.py`).
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

answers = Table(
    "answers",
    metadata,
    Column("id", String, primary_key=True),
    Column("created", Float, nullable=False, index=True),
    Column("source", String, nullable=False),
    Column("team", String),
    Column("channel", String, nullable=False),
    Column("user_id", String, nullable=False, index=True),
    Column("message_ts", String),
    Column("reply_ts", String),
    Column("decision", String, nullable=False),
    Column("confidence", Float, nullable=False),
    Column("best_bug", String, index=True),
    Column("inputs", JSON, nullable=False),
    Column("candidates", JSON, nullable=False),
    Column("error", Text),
    Column("timings", JSON, nullable=False),
    Column("thread_ts", String),
    Column("file_ids", JSON),
    Index("answers_by_thread", "channel", "thread_ts"),
)

feedback = Table(
    "feedback",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("answer_id", String, ForeignKey("answers.id", ondelete="CASCADE"), nullable=False),
    Column("created", Float, nullable=False, index=True),
    Column("user_id", String, nullable=False, index=True),
    Column("kind", String, nullable=False),
    Column("bug_id", String),
    Column("detail", JSON, nullable=False),
    UniqueConstraint("answer_id", "user_id", "kind", name="feedback_once_per_user_and_kind"),
    sqlite_autoincrement=True,
)

claims = Table(
    "claims",
    metadata,
    Column("key", String, primary_key=True),
    Column("state", String, nullable=False),
    Column("claimed_at", Float, nullable=False, index=True),
    Column("finished_at", Float),
)

rate_buckets = Table(
    "rate_buckets",
    metadata,
    Column("key", String, primary_key=True),
    Column("tokens", Float, nullable=False),
    Column("updated", Float, nullable=False, index=True),
)

examples = Table(
    "examples",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("bug_id", String, nullable=False),
    Column("created", Float, nullable=False),
    Column("content_hash", String, nullable=False),
    Column("asked_by", String, index=True),
    Column("confirmed_by", String, index=True),
    Column("provenance", JSON, nullable=False),
    UniqueConstraint("bug_id", "content_hash", name="examples_once_per_content"),
    sqlite_autoincrement=True,
)

example_inputs = Table(
    "example_inputs",
    metadata,
    Column("example_id", Integer, ForeignKey("examples.id", ondelete="CASCADE"), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("kind", String, nullable=False),
    Column("name", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("image", LargeBinary),
)

negatives = Table(
    "negatives",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("bug_id", String, nullable=False),
    Column("query_text", Text, nullable=False),
    Column("text_hash", String, nullable=False),
    Column("created", Float, nullable=False),
    Column("asked_by", String, index=True),
    Column("confirmed_by", String, index=True),
    Column("provenance", JSON, nullable=False),
    UniqueConstraint("bug_id", "text_hash", name="negatives_once_per_text"),
    sqlite_autoincrement=True,
)

reports = Table(
    "reports",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("bug_id", String, nullable=False),
    Column("created", Float, nullable=False),
    Column("answer_id", String, ForeignKey("answers.id", ondelete="CASCADE"), nullable=False),
    Column("thread_key", String, nullable=False),
    Column("channel", String, nullable=False),
    Column("thread_ts", String),
    Column("link", Text),
    Column("asked_by", String, nullable=False, index=True),
    Column("reported_by", String, nullable=False, index=True),
    Column("how", String, nullable=False),
    UniqueConstraint("thread_key", "bug_id", name="reports_once_per_thread"),
    Index("reports_by_bug", "bug_id", "created"),
    sqlite_autoincrement=True,
)

bug_changes = Table(
    "bug_changes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String, nullable=False, unique=True),
    Column("bug_id", String, nullable=False),
    Column("title", Text, nullable=False),
    Column("created", Float, nullable=False, index=True),
    Column("old_status", String, nullable=False),
    Column("new_status", String, nullable=False),
    Column("old_resolution", Text, nullable=False),
    Column("new_resolution", Text, nullable=False),
    Column("noticed", Float),
    sqlite_autoincrement=True,
)
