"""The jobs of AI task runs: deferring one for a scheduled time, and cancelling one.

Every run job has args ``{task_id, scheduled_for}``, starts at ``scheduled_for`` and
carries the queueing lock ``ai_task:{id}:{scheduled_for}``, so at most one job per
(task, time) waits in the queue.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from personal_assistant.jobs.enqueue import AlreadyQueued, JobOptions, defer
from personal_assistant.jobs.lookup import resolve_task

RUN_TASK = "ai:run_ai_task"
# procrastinate runs higher priorities first: a user waiting on "run now" goes ahead of
# scheduled runs.
RUN_NOW_PRIORITY = 10
SCHEDULED_PRIORITY = 0

WAITING_JOB = text(
    "SELECT id FROM procrastinate_jobs WHERE queueing_lock = :lock AND status = 'todo'"
)
JOB_STATUS = text("SELECT status::text FROM procrastinate_jobs WHERE id = :id")
CANCEL = text("SELECT procrastinate_cancel_job_v1(:id, false, false)")
LIVE_STATUSES = ("todo", "doing")


def iso(at: datetime) -> str:
    """An instant as the ISO 8601 UTC text used in job args and queueing locks."""
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def run_lock(task_id: int, scheduled_for: datetime) -> str:
    return f"ai_task:{task_id}:{iso(scheduled_for)}"


async def defer_run(
    session: AsyncSession,
    task_id: int,
    scheduled_for: datetime,
    *,
    priority: int = SCHEDULED_PRIORITY,
) -> int:
    """Defer the job of one run in the caller's transaction; reuse the one already waiting."""
    lock = run_lock(task_id, scheduled_for)
    options = JobOptions(schedule_at=scheduled_for, priority=priority, queueing_lock=lock)
    args = {"task_id": task_id, "scheduled_for": iso(scheduled_for)}
    try:
        return await defer(session, resolve_task(RUN_TASK), args, options)
    except AlreadyQueued:
        waiting = (await session.execute(WAITING_JOB, {"lock": lock})).scalar_one_or_none()
        if waiting is None:
            raise
        return int(waiting)


async def job_status(session: AsyncSession, job_id: int | None) -> str | None:
    if job_id is None:
        return None
    status: str | None = (await session.execute(JOB_STATUS, {"id": job_id})).scalar_one_or_none()
    return status


async def cancel_job(session: AsyncSession, job_id: int | None) -> bool:
    """Cancel the job if it is still waiting; a running one finishes its run."""
    if job_id is None:
        return False
    cancelled = (await session.execute(CANCEL, {"id": job_id})).scalar_one_or_none()
    return cancelled is not None
