"""Prune run records past their retention: finished jobs (with their events and
results), orphaned results, old heartbeats, and, where those tables exist, AI task runs
and notifications.

The AI and notification tables belong to other parts of the product and may not be
installed; each is looked up with ``to_regclass`` and pruned by the first timestamp
column it has from a fixed list. A run with no finish time yet is never pruned.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from personal_assistant.jobs.retention import prune_finished_jobs

ORPHAN_RESULTS = text(
    """
    DELETE FROM job_results r
     WHERE r.recorded_at < now() - make_interval(hours => :hours)
       AND NOT EXISTS (SELECT 1 FROM procrastinate_jobs j WHERE j.id = r.job_id)
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
TABLE_EXISTS = text("SELECT to_regclass(:name) IS NOT NULL")
COLUMNS = text(
    """
    SELECT column_name FROM information_schema.columns
     WHERE table_schema = current_schema() AND table_name = :name
    """
)

# Table -> timestamp columns to prune by, in order of preference.
OPTIONAL_TABLES: dict[str, tuple[str, ...]] = {
    "ai_task_runs": ("finished_at", "completed_at", "created_at"),
    "notifications": ("created_at", "sent_at"),
}


@dataclass(frozen=True)
class Retention:
    succeeded_hours: int
    failed_hours: int
    heartbeat_days: int
    optional_days: dict[str, int]


@dataclass
class PruneRecordsReport:
    deleted: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"deleted": self.deleted, "skipped": self.skipped}


async def prune_old_records(
    session: AsyncSession,
    retention: Retention,
    optional_tables: dict[str, tuple[str, ...]] = OPTIONAL_TABLES,
) -> PruneRecordsReport:
    report = PruneRecordsReport()
    jobs = await prune_finished_jobs(
        session, succeeded_hours=retention.succeeded_hours, failed_hours=retention.failed_hours
    )
    report.deleted["jobs"] = jobs.deleted
    report.deleted["orphan_results"] = await _count(
        session, ORPHAN_RESULTS, {"hours": retention.succeeded_hours}
    )
    report.deleted["scheduler_heartbeats"] = await _count(
        session, OLD_HEARTBEATS, {"days": retention.heartbeat_days}
    )
    for table, candidates in optional_tables.items():
        days = retention.optional_days.get(table)
        if days is None:
            report.skipped[table] = "no retention configured"
            continue
        await _prune_optional(session, report, table, candidates, days)
    return report


async def _prune_optional(
    session: AsyncSession,
    report: PruneRecordsReport,
    table: str,
    candidates: tuple[str, ...],
    days: int,
) -> None:
    if not (await session.execute(TABLE_EXISTS, {"name": table})).scalar_one():
        report.skipped[table] = "table does not exist"
        return
    columns = {row[0] for row in await session.execute(COLUMNS, {"name": table})}
    column = next((c for c in candidates if c in columns), None)
    if column is None:
        report.skipped[table] = f"no timestamp column ({', '.join(candidates)})"
        return
    # Both names come from the code (OPTIONAL_TABLES), never from input.
    statement = text(
        f'DELETE FROM "{table}" WHERE "{column}" < now() - make_interval(days => :days)'  # nosec B608: names are constants of the code
    )
    report.deleted[table] = await _count(session, statement, {"days": days})


async def _count(session: AsyncSession, statement: Any, params: dict[str, Any]) -> int:
    result = await session.execute(statement, params)
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
