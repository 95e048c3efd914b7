"""Put jobs left in ``doing`` by a dead worker back to ``todo``.

procrastinate notices stalled workers (no heartbeat) but leaves their jobs in ``doing``
forever. The rescue runs periodically on any number of workers at once: rows are
claimed with ``FOR UPDATE SKIP LOCKED`` so each stalled job is rescued exactly once.
A job that already used ``max_attempts`` attempts is failed instead, so a job that
crashes its worker every time cannot crash-loop the fleet.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


def stalled_jobs_sql(placeholder: str) -> str:
    """FROM/WHERE of running jobs whose worker stopped heartbeating or is gone.

    ``placeholder`` is the driver's spelling of the heartbeat age limit, in seconds.
    """
    return f"""
      FROM procrastinate_jobs job
      LEFT JOIN procrastinate_workers worker ON worker.id = job.worker_id
     WHERE job.status = 'doing'
       AND (worker.id IS NULL
            OR worker.last_heartbeat < now() - make_interval(secs => {placeholder}))
    """


STALLED_JOBS = text(
    "SELECT job.id, job.attempts"
    + stalled_jobs_sql(":stalled_after")
    + "ORDER BY job.id FOR UPDATE OF job SKIP LOCKED"
)

RETRY = text("SELECT procrastinate_retry_job_v2(:job_id, now(), NULL, NULL, NULL)")
FAIL = text("SELECT procrastinate_finish_job_v1(:job_id, 'failed', false)")
PRUNE_WORKERS = text(
    """
    DELETE FROM procrastinate_workers
     WHERE last_heartbeat < now() - make_interval(secs => :stalled_after)
    """
)


@dataclass(frozen=True)
class RescueReport:
    requeued: list[int]
    failed: list[int]

    def as_json(self) -> dict[str, list[int]]:
        return {"requeued": self.requeued, "failed": self.failed}


async def rescue_stalled_jobs(
    session: AsyncSession, *, stalled_after: float, max_attempts: int
) -> RescueReport:
    rows = (await session.execute(STALLED_JOBS, {"stalled_after": stalled_after})).all()
    requeued: list[int] = []
    failed: list[int] = []
    for job_id, attempts in rows:
        if attempts + 1 >= max_attempts:
            await session.execute(FAIL, {"job_id": job_id})
            failed.append(job_id)
        else:
            await session.execute(RETRY, {"job_id": job_id})
            requeued.append(job_id)
    await session.execute(PRUNE_WORKERS, {"stalled_after": stalled_after})
    return RescueReport(requeued=requeued, failed=failed)
