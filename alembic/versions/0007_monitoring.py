"""Alert incidents: one row per stretch of time an alert condition held.

Revision ID: 0007_monitoring
Revises: 0002_app_core
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_monitoring"
down_revision: str | Sequence[str] | None = "0002_app_core"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "alert_incidents",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column(
            "opened_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_value", sa.Double(), nullable=False),
        sa.Column("threshold", sa.Double(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("notified", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_incidents")),
    )
    op.create_index(
        "uq_alert_incidents_open_key",
        "alert_incidents",
        ["key"],
        unique=True,
        postgresql_where=sa.text("resolved_at IS NULL"),
    )
    op.create_index("ix_alert_incidents_opened_at", "alert_incidents", ["opened_at"])


def downgrade() -> None:
    op.drop_index("ix_alert_incidents_opened_at", table_name="alert_incidents")
    op.drop_index("uq_alert_incidents_open_key", table_name="alert_incidents")
    op.drop_table("alert_incidents")
