"""Operator actions on jobs: retry and cancel one, cancel every waiting job of a filter."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from personal_assistant.errors import BadInput
from personal_assistant.jobs.inspect import get_job

RETRY = text("SELECT procrastinate_retry_job_v2(:id, now(), NULL, NULL, NULL)")
REOPEN = text(
    """
    WITH reopened AS (
        UPDATE procrastinate_jobs
           SET status = 'todo', abort_requested = false,
               scheduled_at = greatest(scheduled_at, now()),
               attempts = attempts + 1
         WHERE id = :id
     RETURNING id
    )
    INSERT INTO procrastinate_events (job_id, type) SELECT id, 'retried' FROM reopened
    """
)
CANCEL = text("SELECT procrastinate_cancel_job_v1(:id, :abort, false) AS id")

RETRYABLE = ("failed", "cancelled", "aborted")

# Waiting jobs of a queue and/or task (NULL: any). procrastinate's triggers record the
# ``cancelled`` event of each job, as for a cancel by id.
MATCHING = """
    status = 'todo'
    AND (CAST(:queue AS text) IS NULL OR queue_name = :queue)
    AND (CAST(:task AS text) IS NULL OR task_name = :task)
"""
COUNT_WAITING = text(f"SELECT count(*) FROM procrastinate_jobs WHERE {MATCHING}")
CANCEL_BATCH = text(
    f"""
    WITH batch AS (
        SELECT id FROM procrastinate_jobs WHERE {MATCHING}
         ORDER BY id LIMIT :batch FOR UPDATE SKIP LOCKED
    )
    UPDATE procrastinate_jobs AS j SET status = 'cancelled'
      FROM batch WHERE j.id = batch.id AND j.status = 'todo'
    """
)
BATCH_SIZE = 1000


async def retry_job(session: AsyncSession, job_id: int) -> str:
    """Put a finished-but-unsuccessful job back to ``todo``; return its new status."""
    job = (await get_job(session, job_id)).job
    if job.status == "failed":
        await session.execute(RETRY, {"id": job_id})
    elif job.status in ("cancelled", "aborted"):
        # procrastinate's own retry only reopens failed jobs; the event keeps the
        # timeline honest for the others. A job cancelled before its time keeps that time.
        await session.execute(REOPEN, {"id": job_id})
    else:
        raise BadInput(
            f"job {job_id} is {job.status}; only {', '.join(RETRYABLE)} jobs can be retried"
        )
    return "todo"


async def cancel_job(session: AsyncSession, job_id: int, *, abort: bool = False) -> str:
    """Cancel a waiting job, or with ``abort`` ask a running one to stop."""
    job = (await get_job(session, job_id)).job
    allowed = ("todo", "doing") if abort else ("todo",)
    if job.status not in allowed:
        hint = "" if abort or job.status != "doing" else "; use --abort to stop a running job"
        raise BadInput(f"job {job_id} is {job.status} and cannot be cancelled{hint}")
    await session.execute(CANCEL, {"id": job_id, "abort": abort})
    return "aborting" if job.status == "doing" else "cancelled"


async def count_waiting(session: AsyncSession, *, queue: str | None, task: str | None) -> int:
    """How many ``todo`` jobs match the filter (None: any queue or task)."""
    count: int = (await session.execute(COUNT_WAITING, {"queue": queue, "task": task})).scalar_one()
    return count


async def cancel_waiting(
    session: AsyncSession,
    *,
    queue: str | None,
    task: str | None,
    batch_size: int = BATCH_SIZE,
) -> int:
    """Cancel every ``todo`` job of the filter, ``batch_size`` per statement; return how many.

    One transaction (the caller's): all or nothing. Batches keep each statement short,
    and a worker's fetch skips the rows being cancelled (SKIP LOCKED) rather than waiting.
    """
    if batch_size < 1:
        raise BadInput("the batch size must be at least 1")
    params = {"queue": queue, "task": task, "batch": batch_size}
    cancelled = 0
    while True:
        result = await session.execute(CANCEL_BATCH, params)
        done: int = result.rowcount  # type: ignore[attr-defined]
        cancelled += done
        if done == 0:
            return cancelled
