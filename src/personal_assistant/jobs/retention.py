"""Delete finished jobs (their events, results and errors go with them) past their
retention.

Failed jobs are kept longer than succeeded ones: they are what an operator looks at.
A job's age is the time of its last event, i.e. when it finished.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

PRUNE = text(
    """
    WITH finished AS (
        SELECT job.id
          FROM procrastinate_jobs job
          JOIN LATERAL (SELECT max(at) AS at FROM procrastinate_events e WHERE e.job_id = job.id)
               last_event ON true
         WHERE (job.status IN ('succeeded', 'cancelled', 'aborted')
                AND last_event.at < now() - make_interval(hours => :succeeded_hours))
            OR (job.status = 'failed'
                AND last_event.at < now() - make_interval(hours => :failed_hours))
         LIMIT :batch
    ), results AS (
        DELETE FROM job_results WHERE job_id IN (SELECT id FROM finished)
    ), errors AS (
        DELETE FROM job_errors WHERE job_id IN (SELECT id FROM finished)
    )
    DELETE FROM procrastinate_jobs WHERE id IN (SELECT id FROM finished)
    """
)


@dataclass(frozen=True)
class PruneReport:
    deleted: int


async def prune_finished_jobs(
    session: AsyncSession, *, succeeded_hours: int, failed_hours: int, batch: int = 10_000
) -> PruneReport:
    result = await session.execute(
        PRUNE,
        {"succeeded_hours": succeeded_hours, "failed_hours": failed_hours, "batch": batch},
    )
    return PruneReport(deleted=int(result.rowcount or 0))  # type: ignore[attr-defined]
