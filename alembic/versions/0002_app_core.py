"""Core application tables: ping records and job results.

Revision ID: 0002_app_core
Revises: 0001_procrastinate
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002_app_core"
down_revision: str | Sequence[str] | None = "0001_procrastinate"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ping_records",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("job_id", sa.BigInteger(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("worker", sa.String(length=200), nullable=True),
        sa.Column(
            "recorded_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ping_records")),
        sa.UniqueConstraint("job_id", name=op.f("uq_ping_records_job_id")),
    )
    op.create_table(
        "job_results",
        sa.Column("job_id", sa.BigInteger(), nullable=False),
        sa.Column("task_name", sa.String(length=200), nullable=False),
        sa.Column("result", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "recorded_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("job_id", name=op.f("pk_job_results")),
    )
    op.create_index(op.f("ix_job_results_task_name"), "job_results", ["task_name"])
    op.create_index(op.f("ix_job_results_recorded_at"), "job_results", ["recorded_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_job_results_recorded_at"), table_name="job_results")
    op.drop_index(op.f("ix_job_results_task_name"), table_name="job_results")
    op.drop_table("job_results")
    op.drop_table("ping_records")
