"""Circuit breakers, notifications, AI tasks and their runs.

Revision ID: 0003_ai_tasks
Revises: 0002_app_core
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003_ai_tasks"
down_revision: str | Sequence[str] | None = "0002_app_core"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _now() -> sa.TextClause:
    return sa.text("now()")


def upgrade() -> None:
    op.create_table(
        "circuit_breakers",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.CheckConstraint(
            "state IN ('closed', 'open', 'half_open')", name=op.f("ck_circuit_breakers_state")
        ),
        sa.CheckConstraint("failures >= 0", name=op.f("ck_circuit_breakers_failures")),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_circuit_breakers")),
    )

    op.create_table(
        "notifications",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.String(length=200), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("source", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.CheckConstraint(
            "channel IN ('log', 'email', 'webhook')", name=op.f("ck_notifications_channel")
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'delivered', 'failed')", name=op.f("ck_notifications_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    op.create_index(op.f("ix_notifications_user_id"), "notifications", ["user_id"])
    op.create_index(op.f("ix_notifications_source"), "notifications", ["source"])
    op.create_index(op.f("ix_notifications_created_at"), "notifications", ["created_at"])

    op.create_table(
        "ai_tasks",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.String(length=200), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("instructions", sa.Text(), nullable=False),
        sa.Column("schedule_text", sa.Text(), nullable=False),
        sa.Column("schedule_kind", sa.String(length=20), nullable=False),
        sa.Column("schedule_normalized", sa.Text(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("next_run_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_run_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("run_count", sa.Integer(), nullable=False),
        sa.Column("max_runs", sa.Integer(), nullable=True),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("pending_job_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.CheckConstraint(
            "status IN ('active', 'paused', 'completed', 'cancelled', 'failed')",
            name=op.f("ck_ai_tasks_status"),
        ),
        sa.CheckConstraint(
            "channel IN ('log', 'email', 'webhook')", name=op.f("ck_ai_tasks_channel")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ai_tasks")),
    )
    op.create_index(op.f("ix_ai_tasks_user_id"), "ai_tasks", ["user_id"])
    op.create_index(op.f("ix_ai_tasks_next_run_at"), "ai_tasks", ["next_run_at"])

    op.create_table(
        "ai_task_runs",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("task_id", sa.BigInteger(), nullable=False),
        sa.Column("job_id", sa.BigInteger(), nullable=True),
        sa.Column("scheduled_for", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("output", sa.Text(), nullable=True),
        sa.Column("tool_calls", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "status IN ('running', 'succeeded', 'failed', 'rescheduled')",
            name=op.f("ck_ai_task_runs_status"),
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["ai_tasks.id"],
            name=op.f("fk_ai_task_runs_task_id_ai_tasks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ai_task_runs")),
        sa.UniqueConstraint("task_id", "scheduled_for", name=op.f("uq_ai_task_runs_task_id")),
    )
    op.create_index(op.f("ix_ai_task_runs_finished_at"), "ai_task_runs", ["finished_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_ai_task_runs_finished_at"), table_name="ai_task_runs")
    op.drop_table("ai_task_runs")
    op.drop_index(op.f("ix_ai_tasks_next_run_at"), table_name="ai_tasks")
    op.drop_index(op.f("ix_ai_tasks_user_id"), table_name="ai_tasks")
    op.drop_table("ai_tasks")
    op.drop_index(op.f("ix_notifications_created_at"), table_name="notifications")
    op.drop_index(op.f("ix_notifications_source"), table_name="notifications")
    op.drop_index(op.f("ix_notifications_user_id"), table_name="notifications")
    op.drop_table("notifications")
    op.drop_table("circuit_breakers")
