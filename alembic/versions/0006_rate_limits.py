"""Rate-limit start log shared by every worker.

Revision ID: 0006_rate_limits
Revises: 0002_app_core
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_rate_limits"
down_revision: str | Sequence[str] | None = "0002_app_core"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rate_limit_starts",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("job_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "started_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rate_limit_starts")),
    )
    op.create_index(
        "ix_rate_limit_starts_key_started_at", "rate_limit_starts", ["key", "started_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_rate_limit_starts_key_started_at", table_name="rate_limit_starts")
    op.drop_table("rate_limit_starts")
