"""What the overview page reads: capped counts, workers, stalled jobs, open problems.

Counts per (queue, status) stop at ``COUNT_CAP`` each, so the page costs the same with a
thousand jobs or ten million. Queue names other than the configured ones are found with
a skip scan of the queue index, not a scan of the table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from personal_assistant.jobs import queue_control
from personal_assistant.jobs.inspect import STATUSES
from personal_assistant.jobs.queue_control import QueueControl
from personal_assistant.jobs.search import COUNT_CAP
from personal_assistant.monitoring.models import AlertIncident
from personal_assistant.resilience.breaker import BreakerView, list_breakers
from personal_assistant.settings import QUEUES

QUEUE_NAMES = text(
    """
    WITH RECURSIVE q(name) AS (
        (SELECT queue_name FROM procrastinate_jobs ORDER BY queue_name LIMIT 1)
        UNION ALL
        SELECT (SELECT queue_name FROM procrastinate_jobs
                 WHERE queue_name > q.name ORDER BY queue_name LIMIT 1)
          FROM q WHERE q.name IS NOT NULL
    )
    SELECT name FROM q WHERE name IS NOT NULL
    """
)
CAPPED_COUNTS = text(
    """
    SELECT q.name, s.status,
           (SELECT count(*) FROM (
                SELECT 1 FROM procrastinate_jobs j
                 WHERE j.queue_name = q.name
                   AND j.status = CAST(s.status AS procrastinate_job_status)
                 LIMIT :cap) c) AS jobs
      FROM unnest(CAST(:queues AS text[])) AS q(name)
     CROSS JOIN unnest(CAST(:statuses AS text[])) AS s(status)
    """
)
WORKERS = text(
    """
    SELECT w.id, EXTRACT(EPOCH FROM now() - w.last_heartbeat)::float8 AS age,
           count(j.id) AS running,
           coalesce(array_agg(DISTINCT j.queue_name) FILTER (WHERE j.id IS NOT NULL), '{}')
               AS queues
      FROM procrastinate_workers w
      LEFT JOIN procrastinate_jobs j ON j.worker_id = w.id AND j.status = 'doing'
     GROUP BY w.id ORDER BY w.id
    """
)
STALLED = text(
    """
    SELECT job.id, job.task_name, job.queue_name, job.worker_id
      FROM procrastinate_jobs job
      LEFT JOIN procrastinate_workers worker ON worker.id = job.worker_id
     WHERE job.status = 'doing'
       AND (worker.id IS NULL
            OR worker.last_heartbeat < now() - make_interval(secs => :stalled_after))
     ORDER BY job.id LIMIT 50
    """
)


@dataclass(frozen=True)
class WorkerRow:
    id: int
    age_seconds: float
    live: bool
    running: int
    queues: list[str]


async def queue_names(session: AsyncSession) -> list[str]:
    found = [str(name) for name in (await session.execute(QUEUE_NAMES)).scalars()]
    return list(QUEUES) + sorted(set(found) - set(QUEUES))


async def capped_counts(
    session: AsyncSession, queues: list[str], cap: int = COUNT_CAP
) -> dict[str, dict[str, int]]:
    """{queue: {status: count}}; a count above ``cap`` means "more than cap"."""
    params = {"queues": queues, "statuses": list(STATUSES), "cap": cap + 1}
    counts: dict[str, dict[str, int]] = {q: {} for q in queues}
    for queue, status, jobs in await session.execute(CAPPED_COUNTS, params):
        counts[queue][status] = int(jobs)
    return counts


async def workers(session: AsyncSession, stalled_after: float) -> list[WorkerRow]:
    return [
        WorkerRow(
            id=int(row.id),
            age_seconds=float(row.age),
            live=float(row.age) <= stalled_after,
            running=int(row.running),
            queues=sorted(row.queues),
        )
        for row in await session.execute(WORKERS)
    ]


async def stalled_jobs(session: AsyncSession, stalled_after: float) -> list[Any]:
    return list(await session.execute(STALLED, {"stalled_after": stalled_after}))


async def open_alerts(session: AsyncSession) -> list[AlertIncident]:
    query = (
        select(AlertIncident)
        .where(AlertIncident.resolved_at.is_(None))
        .order_by(AlertIncident.opened_at.desc())
    )
    return list((await session.execute(query)).scalars())


async def recent_alerts(session: AsyncSession, limit: int = 100) -> list[AlertIncident]:
    query = select(AlertIncident).order_by(AlertIncident.opened_at.desc()).limit(limit)
    return list((await session.execute(query)).scalars())


async def breakers(session: AsyncSession) -> list[BreakerView]:
    return await list_breakers(session)


async def queue_controls(session: AsyncSession) -> dict[str, QueueControl]:
    """Stored pause and concurrency per queue (a queue without a row runs unscaled)."""
    return await queue_control.queue_controls(session)
