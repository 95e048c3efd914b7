"""Flow control: stored queue pauses and concurrency, workers' resource-guard state, and
the fetch that honours pauses and ages priorities.

Revision ID: 0012_queue_controls
Revises: 0011_job_errors
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision: str = "0012_queue_controls"
down_revision: str | Sequence[str] | None = "0011_job_errors"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A job is eligible when it waits in one of the wanted queues, is due, its queue is not
# paused, and procrastinate's lock rule lets it start (revision 0015 reuses it).
ELIGIBLE = (Path(__file__).with_name("sql") / "pa_eligible_job_v1.sql").read_text(encoding="utf-8")

# Revision 0015 replaces it with pa_claim_jobs, and restores it on downgrade.
FETCH_FUNCTION = (
    (Path(__file__).with_name("sql") / "pa_fetch_job_v1.sql")
    .read_text(encoding="utf-8")
    .replace("{ELIGIBLE}", ELIGIBLE)
)


def upgrade() -> None:
    op.create_table(
        "queue_controls",
        sa.Column("queue", sa.String(length=128), nullable=False),
        sa.Column("paused", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("paused_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paused_by", sa.String(length=200), nullable=True),
        sa.Column("pause_reason", sa.Text(), nullable=True),
        sa.Column("concurrency", sa.Integer(), nullable=True),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("updated_by", sa.String(length=200), nullable=True),
        sa.CheckConstraint(
            "concurrency IS NULL OR concurrency > 0",
            name=op.f("ck_queue_controls_concurrency_positive"),
        ),
        sa.PrimaryKeyConstraint("queue", name=op.f("pk_queue_controls")),
    )
    op.create_table(
        "worker_resource_guards",
        sa.Column("worker_id", sa.BigInteger(), nullable=False),
        sa.Column("worker_name", sa.String(length=200), nullable=True),
        sa.Column("held_queues", sa.Text(), server_default="", nullable=False),
        sa.Column("detail", sa.Text(), server_default="", nullable=False),
        sa.Column(
            "changed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("worker_id", name=op.f("pk_worker_resource_guards")),
    )
    op.execute(FETCH_FUNCTION)


def downgrade() -> None:
    op.execute(
        "DROP FUNCTION pa_fetch_job(character varying[], character varying[], bigint,"
        " double precision)"
    )
    op.drop_table("worker_resource_guards")
    op.drop_table("queue_controls")
