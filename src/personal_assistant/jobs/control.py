"""Operator actions on single jobs: retry and cancel."""

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
