"""Join the domain branches into one head; later revisions build on this one.

Revision ID: 0009_merge_domains
Revises: 0003_ai_tasks, 0004_email_and_chains, 0005_files_sync_maintenance,
         0006_rate_limits, 0007_monitoring, 0008_schedules
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0009_merge_domains"
down_revision: str | Sequence[str] | None = (
    "0003_ai_tasks",
    "0004_email_and_chains",
    "0005_files_sync_maintenance",
    "0006_rate_limits",
    "0007_monitoring",
    "0008_schedules",
)
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
