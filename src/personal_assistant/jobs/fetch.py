"""The one place a worker claims its next jobs.

``pa_claim_jobs`` (alembic revision 0015) is procrastinate's fetch, for many jobs in one
UPDATE, plus two rules: a job of a paused queue is never taken, and a waiting job counts
one priority higher per ``PA_PRIORITY_AGEING_SECONDS`` waited, so a stream of urgent jobs
cannot starve the rest.

The worker narrows the queues further (``include``/``exclude``) for its own reasons:
queues at their scaled concurrency, or held back by its resource guard.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from procrastinate import jobs

# One round trip for the whole batch; a worker that does not batch asks for one job.
CLAIM_JOBS = """
SELECT job.id, job.status, job.task_name, job.priority, job.lock, job.queueing_lock,
       job.args, job.scheduled_at, job.queue_name, job.attempts, job.worker_id
  FROM pa_claim_jobs(%(include)s::varchar[], %(exclude)s::varchar[], %(worker_id)s,
                     %(ageing_seconds)s, %(limit)s) AS job
"""


async def claim_jobs(
    connector: Any,
    *,
    worker_id: int,
    include: Sequence[str] | None,
    exclude: Sequence[str] | None,
    ageing_seconds: float,
    limit: int,
) -> list[jobs.Job]:
    """Up to ``limit`` eligible jobs, marked ``doing`` for ``worker_id``, in claim order.

    No ``include`` is every queue not excluded; an empty one is none.
    """
    rows = await connector.execute_query_all_async(
        CLAIM_JOBS,
        include=list(include) if include is not None else None,
        exclude=list(exclude) if exclude else None,
        worker_id=worker_id,
        ageing_seconds=ageing_seconds,
        limit=limit,
    )
    return [jobs.Job.from_row(row) for row in rows]
