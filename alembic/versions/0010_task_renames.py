"""Task renames: ``upkeep:*`` joins ``maintenance:*``, and the scheduler heartbeat says
what it does. Jobs, periodic defers, stored schedules and chain steps stored under an
old name are renamed, so they still run.

Revision ID: 0010_task_renames
Revises: 0009_merge_domains
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op
from sqlalchemy import text

revision: str = "0010_task_renames"
down_revision: str | Sequence[str] | None = "0009_merge_domains"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (old task name, new task name); a periodic task's periodic id is its short name.
RENAMES = (
    ("upkeep:optimize_database", "maintenance:optimize_database"),
    ("upkeep:cleanup_old_sessions", "maintenance:cleanup_old_sessions"),
    ("upkeep:cleanup_old_logs", "maintenance:cleanup_old_logs"),
    ("upkeep:test_scheduler_connection", "maintenance:record_scheduler_heartbeat"),
)

# A renamed waiting job must not look freshly scheduled: this trigger would log a
# "scheduled" event for every updated row.
SCHEDULED_EVENTS_TRIGGER = "procrastinate_trigger_scheduled_events_v1"

RENAME_JOBS = text("UPDATE procrastinate_jobs SET task_name = :new WHERE task_name = :old")
# The periodic id is the task's short name; a row the new name already has is kept.
RENAME_PERIODIC_DEFERS = text(
    """
    UPDATE procrastinate_periodic_defers AS d
       SET task_name = :new, periodic_id = split_part(:new, ':', 2)
     WHERE d.task_name = :old
       AND d.periodic_id = split_part(:old, ':', 2)
       AND NOT EXISTS (
           SELECT 1 FROM procrastinate_periodic_defers AS n
            WHERE n.task_name = :new
              AND n.periodic_id = split_part(:new, ':', 2)
              AND n.defer_timestamp IS NOT DISTINCT FROM d.defer_timestamp)
    """
)
RENAME_SCHEDULES = text("UPDATE schedules SET task_name = :new WHERE task_name = :old")
RENAME_CHAIN_STEPS = text(
    """
    UPDATE job_chains
       SET steps = (
           SELECT jsonb_agg(
                      CASE WHEN step ->> 'task' = :old
                           THEN jsonb_set(step, '{task}', to_jsonb(CAST(:new AS text)))
                           ELSE step END
                      ORDER BY position)
             FROM jsonb_array_elements(steps) WITH ORDINALITY AS s(step, position))
     WHERE steps @> jsonb_build_array(jsonb_build_object('task', CAST(:old AS text)))
    """
)


def _rename(pairs: Sequence[tuple[str, str]]) -> None:
    op.execute(f"ALTER TABLE procrastinate_jobs DISABLE TRIGGER {SCHEDULED_EVENTS_TRIGGER}")
    for old, new in pairs:
        for statement in (
            RENAME_JOBS,
            RENAME_PERIODIC_DEFERS,
            RENAME_SCHEDULES,
            RENAME_CHAIN_STEPS,
        ):
            op.execute(statement.bindparams(old=old, new=new))
    op.execute(f"ALTER TABLE procrastinate_jobs ENABLE TRIGGER {SCHEDULED_EVENTS_TRIGGER}")


def upgrade() -> None:
    _rename(RENAMES)


def downgrade() -> None:
    _rename([(new, old) for old, new in RENAMES])
