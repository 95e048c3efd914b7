"""Calendar feeds and events, Notion pages, user sessions and scheduler heartbeats.

Revision ID: 0005_files_sync_maintenance
Revises: 0002_app_core
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005_files_sync_maintenance"
down_revision: str | Sequence[str] | None = "0002_app_core"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _now() -> sa.TextClause:
    return sa.text("now()")


def upgrade() -> None:
    op.create_table(
        "calendar_feeds",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("etag", sa.Text(), nullable=True),
        sa.Column("last_modified", sa.Text(), nullable=True),
        sa.Column("file_mtime_ns", sa.BigInteger(), nullable=True),
        sa.Column("file_size", sa.BigInteger(), nullable=True),
        sa.Column("event_count", sa.Integer(), nullable=False),
        sa.Column("last_checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_feeds")),
        sa.UniqueConstraint("source", name=op.f("uq_calendar_feeds_source")),
    )
    op.create_table(
        "calendar_events",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("feed_id", sa.BigInteger(), nullable=False),
        sa.Column("uid", sa.Text(), nullable=False),
        sa.Column("recurrence_id", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("location", sa.Text(), nullable=True),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("all_day", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=True),
        sa.Column("transparent", sa.Boolean(), nullable=False),
        sa.Column("rrule", sa.Text(), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("conflicts", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.ForeignKeyConstraint(
            ["feed_id"],
            ["calendar_feeds.id"],
            name=op.f("fk_calendar_events_feed_id_calendar_feeds"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_events")),
        sa.UniqueConstraint(
            "feed_id", "uid", "recurrence_id", name=op.f("uq_calendar_events_feed_id")
        ),
    )
    op.create_index(op.f("ix_calendar_events_starts_at"), "calendar_events", ["starts_at"])
    op.create_table(
        "notion_pages",
        sa.Column("page_id", sa.String(length=64), nullable=False),
        sa.Column("database_id", sa.String(length=64), nullable=False),
        sa.Column("data_source_id", sa.String(length=64), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("created_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_edited_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("in_trash", sa.Boolean(), nullable=False),
        sa.Column("properties", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("synced_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.PrimaryKeyConstraint("page_id", name=op.f("pk_notion_pages")),
    )
    op.create_index(op.f("ix_notion_pages_database_id"), "notion_pages", ["database_id"])
    op.create_index(op.f("ix_notion_pages_last_edited_time"), "notion_pages", ["last_edited_time"])
    op.create_table(
        "user_sessions",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.String(length=200), nullable=False),
        sa.Column("token_hash", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_user_sessions_token_hash")),
    )
    op.create_index(op.f("ix_user_sessions_expires_at"), "user_sessions", ["expires_at"])
    op.create_index(op.f("ix_user_sessions_user_id"), "user_sessions", ["user_id"])
    op.create_table(
        "scheduler_heartbeats",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("job_id", sa.BigInteger(), nullable=False),
        sa.Column("deferred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ran_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column("worker", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scheduler_heartbeats")),
        sa.UniqueConstraint("job_id", name=op.f("uq_scheduler_heartbeats_job_id")),
    )
    op.create_index(op.f("ix_scheduler_heartbeats_ran_at"), "scheduler_heartbeats", ["ran_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_scheduler_heartbeats_ran_at"), table_name="scheduler_heartbeats")
    op.drop_table("scheduler_heartbeats")
    op.drop_index(op.f("ix_user_sessions_user_id"), table_name="user_sessions")
    op.drop_index(op.f("ix_user_sessions_expires_at"), table_name="user_sessions")
    op.drop_table("user_sessions")
    op.drop_index(op.f("ix_notion_pages_last_edited_time"), table_name="notion_pages")
    op.drop_index(op.f("ix_notion_pages_database_id"), table_name="notion_pages")
    op.drop_table("notion_pages")
    op.drop_index(op.f("ix_calendar_events_starts_at"), table_name="calendar_events")
    op.drop_table("calendar_events")
    op.drop_table("calendar_feeds")
