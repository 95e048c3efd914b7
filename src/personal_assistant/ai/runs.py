"""The bookkeeping of one run: claim it, record how it ended, plan the task's next run.

One scheduled time of a task runs once. Every step locks the ``ai_tasks`` row
(``SELECT ... FOR UPDATE``) and then looks at the run row, UNIQUE per (task, time):

- a job finds the run already finished: it does nothing;
- a job finds it claimed by another job that is still waiting or running: nothing;
- a job finds it claimed by a job that ended without finishing it (killed, cancelled):
  it takes the run over.

Recording the end of the run, deferring the next run's job and notifying the user
commit in one transaction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from personal_assistant.ai.agent import AgentResult
from personal_assistant.ai.deferral import LIVE_STATUSES, cancel_job, defer_run, job_status
from personal_assistant.ai.lifecycle import schedule_of
from personal_assistant.ai.models import AITask, AITaskRun
from personal_assistant.logs import log_fields
from personal_assistant.notifications.service import notify
from personal_assistant.settings import get_settings

logger = logging.getLogger("personal_assistant.ai")

FINISHED = ("succeeded", "failed")
ERROR_MAX_CHARS = 2000
OUTPUT_MAX_CHARS = 20_000


class Superseded(Exception):
    """Another job finished this run, or the task is gone: this job's work is dropped."""


@dataclass(frozen=True)
class Claim:
    run: AITaskRun | None
    reason: str = ""


async def lock_task(session: AsyncSession, task_id: int) -> AITask | None:
    # populate_existing: the row may have changed since this session last read it.
    query = (
        select(AITask)
        .where(AITask.id == task_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.execute(query)).scalar_one_or_none()


async def lock_run(
    session: AsyncSession, task_id: int, scheduled_for: datetime
) -> AITaskRun | None:
    query = (
        select(AITaskRun)
        .where(AITaskRun.task_id == task_id, AITaskRun.scheduled_for == scheduled_for)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.execute(query)).scalar_one_or_none()


async def claim_run(
    session: AsyncSession, task_id: int, scheduled_for: datetime, job_id: int
) -> Claim:
    """Mark the run as running for ``job_id``, or say why this job must not run it."""
    task = await lock_task(session, task_id)
    if task is None:
        return Claim(None, "the task was deleted")
    if task.status != "active":
        return Claim(None, f"the task is {task.status}")
    run = await lock_run(session, task_id, scheduled_for)
    now = datetime.now(UTC)
    if run is None:
        run = AITaskRun(
            task_id=task_id,
            job_id=job_id,
            scheduled_for=scheduled_for,
            started_at=now,
            status="running",
            tool_calls=[],
        )
        session.add(run)
        await session.flush()
        return Claim(run)
    if run.status in FINISHED:
        return Claim(None, f"this run already {run.status}")
    if run.job_id != job_id and await job_status(session, run.job_id) in LIVE_STATUSES:
        return Claim(None, f"job {run.job_id} has this run")
    run.job_id, run.status, run.started_at = job_id, "running", now
    return Claim(run)


async def _current(
    session: AsyncSession, task_id: int, scheduled_for: datetime, job_id: int
) -> tuple[AITask, AITaskRun]:
    task = await lock_task(session, task_id)
    run = await lock_run(session, task_id, scheduled_for)
    if task is None or run is None or run.status in FINISHED or run.job_id != job_id:
        raise Superseded(f"run of task {task_id} for {scheduled_for.isoformat()} is not ours")
    return task, run


def _close_run(run: AITaskRun, status: str, now: datetime) -> None:
    run.status = status
    run.finished_at = now
    run.duration_ms = max(0, int((now - run.started_at).total_seconds() * 1000))


async def finish_success(
    session: AsyncSession,
    task_id: int,
    scheduled_for: datetime,
    job_id: int,
    result: AgentResult,
) -> dict[str, object]:
    """Record the run, plan the next one and notify the user, in the caller's transaction."""
    now = datetime.now(UTC)
    task, run = await _current(session, task_id, scheduled_for, job_id)
    _close_run(run, "succeeded", now)
    run.output = result.output[:OUTPUT_MAX_CHARS]
    run.tool_calls = result.tool_calls
    run.error = None
    task.run_count += 1
    task.consecutive_failures = 0
    task.last_run_at = scheduled_for
    await advance(session, task, scheduled_for, job_id, now)
    ending = "\n\n(This was the task's last run.)" if task.status == "completed" else ""
    await _notify(session, task, task.title, (result.output or "(no output)") + ending)
    _log("ai_run_succeeded", task, run)
    return {"status": "succeeded", "run_id": run.id, "next_run_at": _iso(task.next_run_at)}


async def finish_failure(
    session: AsyncSession,
    task_id: int,
    scheduled_for: datetime,
    job_id: int,
    error: str,
    *,
    final: bool,
) -> None:
    """Record a failed attempt; a final one fails the run, and maybe the task."""
    now = datetime.now(UTC)
    try:
        task, run = await _current(session, task_id, scheduled_for, job_id)
    except Superseded:
        return
    run.error = error[:ERROR_MAX_CHARS]
    if not final:
        # The job comes back later (retry or open breaker); the run is not over.
        run.status = "rescheduled"
        _log("ai_run_rescheduled", task, run)
        return
    _close_run(run, "failed", now)
    task.run_count += 1
    task.consecutive_failures += 1
    task.last_run_at = scheduled_for
    limit = get_settings().ai_max_consecutive_failures
    if task.consecutive_failures >= limit:
        if task.pending_job_id != job_id:
            await cancel_job(session, task.pending_job_id)
        task.status, task.next_run_at, task.pending_job_id = "failed", None, None
        task.updated_at = now
        body = (
            f"The last {task.consecutive_failures} runs failed, so the task is stopped.\n"
            f"Last error: {run.error}\nResume it with `pa-tasks ai resume {task.id}`."
        )
        await _notify(session, task, f"{task.title}: stopped after repeated failures", body)
        _log("ai_task_failed", task, run)
        return
    await advance(session, task, scheduled_for, job_id, now)
    await _notify(session, task, f"{task.title}: run failed", f"Error: {run.error}")
    _log("ai_run_failed", task, run)


async def advance(
    session: AsyncSession, task: AITask, scheduled_for: datetime, job_id: int, now: datetime
) -> None:
    """After a finished run: complete the task, or defer the job of its next run.

    Only the run of the task's scheduled time moves the schedule on; an extra run
    ("run now") or a stale one leaves it as it is. Missed times are not replayed: the
    next run is the first scheduled time after both the finished one and now.
    """
    if task.status != "active":
        return
    if task.max_runs is not None and task.run_count >= task.max_runs:
        if task.pending_job_id != job_id:
            await cancel_job(session, task.pending_job_id)
        _complete(task, now)
        return
    if task.next_run_at != scheduled_for:
        return
    next_run = schedule_of(task).next_after(max(scheduled_for, now))
    if next_run is None:
        _complete(task, now)
        return
    task.next_run_at = next_run
    task.pending_job_id = await defer_run(session, task.id, next_run)
    task.updated_at = now


def _complete(task: AITask, now: datetime) -> None:
    task.status, task.next_run_at, task.pending_job_id = "completed", None, None
    task.updated_at = now


async def _notify(session: AsyncSession, task: AITask, subject: str, body: str) -> None:
    await notify(
        session,
        user_id=task.user_id,
        channel=task.channel,
        subject=subject,
        body=body,
        source=f"ai_task:{task.id}",
    )


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at else None


def _log(action: str, task: AITask, run: AITaskRun) -> None:
    logger.log(
        logging.WARNING if action in ("ai_run_failed", "ai_task_failed") else logging.INFO,
        "AI task %s run for %s: %s",
        task.id,
        run.scheduled_for.isoformat(),
        run.status,
        extra=log_fields(
            action,
            ai_task_id=task.id,
            run_id=run.id,
            job_id=run.job_id,
            scheduled_for=run.scheduled_for.isoformat(),
            task_status=task.status,
            next_run_at=_iso(task.next_run_at),
            error=run.error,
        ),
    )
