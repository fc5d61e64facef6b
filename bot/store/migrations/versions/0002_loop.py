"""Closing the loop: the thread and Slack files of each answer, reports per bug, and bug changes for fix notices.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("answers", sa.Column("thread_ts", sa.String))
    op.add_column("answers", sa.Column("file_ids", sa.JSON))
    op.create_index("answers_by_thread", "answers", ["channel", "thread_ts"])
    op.create_table(
        "reports",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("bug_id", sa.String, nullable=False),
        sa.Column("created", sa.Float, nullable=False),
        sa.Column("answer_id", sa.String, sa.ForeignKey("answers.id", ondelete="CASCADE"), nullable=False),
        sa.Column("thread_key", sa.String, nullable=False),
        sa.Column("channel", sa.String, nullable=False),
        sa.Column("thread_ts", sa.String),
        sa.Column("link", sa.Text),
        sa.Column("asked_by", sa.String, nullable=False, index=True),
        sa.Column("reported_by", sa.String, nullable=False, index=True),
        sa.Column("how", sa.String, nullable=False),
        sa.UniqueConstraint("thread_key", "bug_id", name="reports_once_per_thread"),
        sa.Index("reports_by_bug", "bug_id", "created"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "bug_changes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key", sa.String, nullable=False, unique=True),
        sa.Column("bug_id", sa.String, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("created", sa.Float, nullable=False, index=True),
        sa.Column("old_status", sa.String, nullable=False),
        sa.Column("new_status", sa.String, nullable=False),
        sa.Column("old_resolution", sa.Text, nullable=False),
        sa.Column("new_resolution", sa.Text, nullable=False),
        sa.Column("noticed", sa.Float),
        sqlite_autoincrement=True,
    )


def downgrade() -> None:
    op.drop_table("bug_changes")
    op.drop_table("reports")
    op.drop_index("answers_by_thread", "answers")
    op.drop_column("answers", "file_ids")
    op.drop_column("answers", "thread_ts")
