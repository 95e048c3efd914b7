"""Prune run records past their retention: orphaned results and errors, old heartbeats,
finished AI task runs and notifications.

Finished jobs themselves (with their events, results and errors) are pruned by the queue's own
``maintenance:prune_finished_jobs`` (``jobs/retention.py``), not here. A run with no
finish time yet is never pruned.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

ORPHAN_RESULTS = text(
    """
    DELETE FROM job_results r
     WHERE r.recorded_at < now() - make_interval(hours => :hours)
       AND NOT EXISTS (SELECT 1 FROM procrastinate_jobs j WHERE j.id = r.job_id)
    """
)
# Errors of jobs deleted another way (procrastinate's remove_old_jobs), past the failed
# jobs' retention: they are what an operator looks at.
ORPHAN_ERRORS = text(
    """
    DELETE FROM job_errors e
     WHERE e.failed_at < now() - make_interval(hours => :hours)
       AND NOT EXISTS (SELECT 1 FROM procrastinate_jobs j WHERE j.id = e.job_id)
    """
)
# The newest heartbeat is kept whatever its age: it is what health checks report.
OLD_HEARTBEATS = text(
    """
    DELETE FROM scheduler_heartbeats
     WHERE ran_at < now() - make_interval(days => :days)
       AND id <> (SELECT max(id) FROM scheduler_heartbeats)
    """
)
OLD_AI_RUNS = text(
    "DELETE FROM ai_task_runs WHERE finished_at < now() - make_interval(days => :days)"
)
OLD_NOTIFICATIONS = text(
    "DELETE FROM notifications WHERE created_at < now() - make_interval(days => :days)"
)


@dataclass(frozen=True)
class Retention:
    succeeded_hours: int  # a result whose job is gone is kept as long as a succeeded job
    failed_hours: int  # and an error as long as a failed job
    heartbeat_days: int
    ai_run_days: int
    notification_days: int


@dataclass
class PruneRecordsReport:
    deleted: dict[str, int] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"deleted": self.deleted}


async def prune_old_records(session: AsyncSession, retention: Retention) -> PruneRecordsReport:
    report = PruneRecordsReport()
    report.deleted["orphan_results"] = await _count(
        session, ORPHAN_RESULTS, {"hours": retention.succeeded_hours}
    )
    report.deleted["orphan_errors"] = await _count(
        session, ORPHAN_ERRORS, {"hours": retention.failed_hours}
    )
    report.deleted["scheduler_heartbeats"] = await _count(
        session, OLD_HEARTBEATS, {"days": retention.heartbeat_days}
    )
    report.deleted["ai_task_runs"] = await _count(
        session, OLD_AI_RUNS, {"days": retention.ai_run_days}
    )
    report.deleted["notifications"] = await _count(
        session, OLD_NOTIFICATIONS, {"days": retention.notification_days}
    )
    return report


async def _count(session: AsyncSession, statement: Any, params: dict[str, Any]) -> int:
    result = await session.execute(statement, params)
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
