"""The dashboard: its audit table, and indexes that keep its pages fast on millions of jobs.

procrastinate indexes its jobs for workers (partial indexes on todo and doing); listing
finished jobs by status, queue, task or argument, and charting recent outcomes, need
these. They are the application's (prefix ``pa_``), created and dropped here only.

Revision ID: 0013_dashboard
Revises: 0012_queue_controls
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_dashboard"
down_revision: str | Sequence[str] | None = "0012_queue_controls"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# name -> definition; tests/migrations knows these names (APP_OWNED_INDEXES).
INDEXES = {
    "pa_jobs_status_id": "ON procrastinate_jobs (status, id)",
    "pa_jobs_queue_status_id": "ON procrastinate_jobs (queue_name, status, id)",
    "pa_jobs_task_status_id": "ON procrastinate_jobs (task_name, status, id)",
    "pa_jobs_args": "ON procrastinate_jobs USING gin (args jsonb_path_ops)",
    # procrastinate's lock indexes cover running/waiting jobs only; most jobs have none.
    "pa_jobs_lock": "ON procrastinate_jobs (lock) WHERE lock IS NOT NULL",
    "pa_jobs_queueing_lock": (
        "ON procrastinate_jobs (queueing_lock) WHERE queueing_lock IS NOT NULL"
    ),
    "pa_events_type_at": "ON procrastinate_events (type, at)",
}


def upgrade() -> None:
    op.create_table(
        "web_audit",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("action", sa.String(length=80), nullable=False),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_audit")),
    )
    op.create_index("ix_web_audit_at", "web_audit", ["at"])
    for name, definition in INDEXES.items():
        op.execute(f"CREATE INDEX IF NOT EXISTS {name} {definition}")


def downgrade() -> None:
    for name in INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
    op.drop_index("ix_web_audit_at", table_name="web_audit")
    op.drop_table("web_audit")
