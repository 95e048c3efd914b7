"""MCP tools of AI tasks, and the anchor instant of schedules and AI tasks.

Revision ID: 0014_mcp
Revises: 0013_dashboard
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0014_mcp"
down_revision: str | Sequence[str] | None = "0013_dashboard"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "ai_tasks",
        sa.Column(
            "mcp_tools",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
    )
    # Rows made before this revision were anchored at their creation.
    for table in ("ai_tasks", "schedules"):
        op.add_column(table, sa.Column("anchor_at", sa.DateTime(timezone=True), nullable=True))
        op.execute(f"UPDATE {table} SET anchor_at = created_at")


def downgrade() -> None:
    for table in ("schedules", "ai_tasks"):
        op.drop_column(table, "anchor_at")
    op.drop_column("ai_tasks", "mcp_tools")
