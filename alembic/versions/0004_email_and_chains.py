"""Email outbox, daily summary records, job chains and their steps.

Revision ID: 0004_email_and_chains
Revises: 0002_app_core
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004_email_and_chains"
down_revision: str | Sequence[str] | None = "0002_app_core"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _now() -> sa.TextClause:
    return sa.text("now()")


def upgrade() -> None:
    op.create_table(
        "email_outbox",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("recipients", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("text_body", sa.Text(), nullable=False),
        sa.Column("html_body", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("message_id", sa.String(length=255), nullable=False),
        sa.Column("handed_over_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('queued', 'sending', 'sent', 'failed')",
            name=op.f("ck_email_outbox_status_known"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_outbox")),
        sa.UniqueConstraint("message_id", name=op.f("uq_email_outbox_message_id")),
    )
    op.create_index(op.f("ix_email_outbox_status"), "email_outbox", ["status"])
    op.create_table(
        "email_daily_summaries",
        sa.Column("local_date", sa.Date(), nullable=False),
        sa.Column("outbox_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.ForeignKeyConstraint(
            ["outbox_id"],
            ["email_outbox.id"],
            name=op.f("fk_email_daily_summaries_outbox_id_email_outbox"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("local_date", name=op.f("pk_email_daily_summaries")),
    )
    op.create_table(
        "job_chains",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("steps", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("current_step", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_chains")),
    )
    op.create_index(op.f("ix_job_chains_status"), "job_chains", ["status"])
    op.create_table(
        "job_chain_steps",
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("deferred_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["chain_id"],
            ["job_chains.id"],
            name=op.f("fk_job_chain_steps_chain_id_job_chains"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("chain_id", "step", name=op.f("pk_job_chain_steps")),
        sa.UniqueConstraint("job_id", name=op.f("uq_job_chain_steps_job_id")),
    )


def downgrade() -> None:
    op.drop_table("job_chain_steps")
    op.drop_index(op.f("ix_job_chains_status"), table_name="job_chains")
    op.drop_table("job_chains")
    op.drop_table("email_daily_summaries")
    op.drop_index(op.f("ix_email_outbox_status"), table_name="email_outbox")
    op.drop_table("email_outbox")
