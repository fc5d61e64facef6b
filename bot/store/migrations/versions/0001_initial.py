"""Answers, feedback, delivery claims, learned examples and negatives.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "answers",
        sa.Column("id", sa.String, primary_key=True),
        sa.Column("created", sa.Float, nullable=False, index=True),
        sa.Column("source", sa.String, nullable=False),
        sa.Column("team", sa.String),
        sa.Column("channel", sa.String, nullable=False),
        sa.Column("user_id", sa.String, nullable=False, index=True),
        sa.Column("message_ts", sa.String),
        sa.Column("reply_ts", sa.String),
        sa.Column("decision", sa.String, nullable=False),
        sa.Column("confidence", sa.Float, nullable=False),
        sa.Column("best_bug", sa.String, index=True),
        sa.Column("inputs", sa.JSON, nullable=False),
        sa.Column("candidates", sa.JSON, nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("timings", sa.JSON, nullable=False),
    )
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("answer_id", sa.String, sa.ForeignKey("answers.id", ondelete="CASCADE"), nullable=False),
        sa.Column("created", sa.Float, nullable=False, index=True),
        sa.Column("user_id", sa.String, nullable=False, index=True),
        sa.Column("kind", sa.String, nullable=False),
        sa.Column("bug_id", sa.String),
        sa.Column("detail", sa.JSON, nullable=False),
        sa.UniqueConstraint("answer_id", "user_id", "kind", name="feedback_once_per_user_and_kind"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "claims",
        sa.Column("key", sa.String, primary_key=True),
        sa.Column("state", sa.String, nullable=False),
        sa.Column("claimed_at", sa.Float, nullable=False, index=True),
        sa.Column("finished_at", sa.Float),
    )
    op.create_table(
        "examples",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("bug_id", sa.String, nullable=False),
        sa.Column("created", sa.Float, nullable=False),
        sa.Column("content_hash", sa.String, nullable=False),
        sa.Column("asked_by", sa.String, index=True),
        sa.Column("confirmed_by", sa.String, index=True),
        sa.Column("provenance", sa.JSON, nullable=False),
        sa.UniqueConstraint("bug_id", "content_hash", name="examples_once_per_content"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "example_inputs",
        sa.Column("example_id", sa.Integer, sa.ForeignKey("examples.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("position", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("image", sa.LargeBinary),
    )
    op.create_table(
        "negatives",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("bug_id", sa.String, nullable=False),
        sa.Column("query_text", sa.Text, nullable=False),
        sa.Column("text_hash", sa.String, nullable=False),
        sa.Column("created", sa.Float, nullable=False),
        sa.Column("asked_by", sa.String, index=True),
        sa.Column("confirmed_by", sa.String, index=True),
        sa.Column("provenance", sa.JSON, nullable=False),
        sa.UniqueConstraint("bug_id", "text_hash", name="negatives_once_per_text"),
        sqlite_autoincrement=True,
    )


def downgrade() -> None:
    for table in ("negatives", "example_inputs", "examples", "claims", "feedback", "answers"):
        op.drop_table(table)
