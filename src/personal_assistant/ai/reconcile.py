"""Heal AI tasks whose next run has no job: the job was lost (deleted, failed, cancelled
by hand, or its worker died for good).

For each active task due soon (``next_run_at <= now + margin``) whose pending job is not
waiting or running:

- no run was started for that time: defer its job again ("healed");
- a run was started but its job ended without finishing it: the run failed, and the
  task moves on to its next time ("failed");
- a live job (a duplicate) already has the run: it becomes the pending job.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from personal_assistant.ai.deferral import LIVE_STATUSES, defer_run, job_status
from personal_assistant.ai.models import AITask
from personal_assistant.ai.runs import FINISHED, advance, finish_failure, lock_run
from personal_assistant.logs import log_fields

logger = logging.getLogger("personal_assistant.ai")

DEFAULT_MARGIN = timedelta(seconds=60)

NO_LIVE_JOB = text(
    """
    NOT EXISTS (SELECT 1 FROM procrastinate_jobs j
                 WHERE j.id = ai_tasks.pending_job_id AND j.status IN ('todo', 'doing'))
    """
)


@dataclass
class ReconcileReport:
    healed: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    adopted: list[int] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        return {
            "healed": len(self.healed),
            "failed": len(self.failed),
            "adopted": len(self.adopted),
            "task_ids": sorted({*self.healed, *self.failed, *self.adopted}),
        }


async def reconcile_due_tasks(
    session: AsyncSession, *, margin: timedelta = DEFAULT_MARGIN, now: datetime | None = None
) -> ReconcileReport:
    now = now or datetime.now(UTC)
    due = await session.execute(
        select(AITask)
        .where(AITask.status == "active", AITask.next_run_at <= now + margin, NO_LIVE_JOB)
        .order_by(AITask.next_run_at)
        .with_for_update(skip_locked=True)
    )
    report = ReconcileReport()
    for task in due.scalars().all():
        await _heal(session, task, now, report)
    if report.healed or report.failed or report.adopted:
        logger.warning(
            "AI tasks without a live job: %s healed, %s failed, %s adopted",
            len(report.healed),
            len(report.failed),
            len(report.adopted),
            extra=log_fields("ai_tasks_reconciled", report.as_json()),
        )
    return report


async def _heal(
    session: AsyncSession, task: AITask, now: datetime, report: ReconcileReport
) -> None:
    scheduled_for = task.next_run_at
    assert scheduled_for is not None
    run = await lock_run(session, task.id, scheduled_for)
    if run is None:
        task.pending_job_id = await defer_run(session, task.id, scheduled_for)
        report.healed.append(task.id)
        return
    if run.status in FINISHED:
        # Its end was recorded but the schedule did not move on: move it on now.
        await advance(session, task, scheduled_for, run.job_id or 0, now)
        report.healed.append(task.id)
        return
    status = await job_status(session, run.job_id)
    if status in LIVE_STATUSES:
        task.pending_job_id = run.job_id
        report.adopted.append(task.id)
        return
    await finish_failure(
        session,
        task.id,
        scheduled_for,
        run.job_id or 0,
        f"the run's job {run.job_id} ended ({status or 'deleted'}) without finishing the run",
        final=True,
    )
    report.failed.append(task.id)
