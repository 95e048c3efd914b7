"""Submit one job as a user asked for it: the checks every entry point shares (the CLI's
``defer`` and the MCP server's ``defer_job``), then the deferral in the caller's session.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from personal_assistant.errors import BadInput
from personal_assistant.jobs.enqueue import JobOptions, checked_args, defer
from personal_assistant.jobs.lookup import resolve_task
from personal_assistant.settings import QUEUES


@dataclass(frozen=True)
class Submitted:
    id: int
    task: str
    queue: str
    scheduled_at: datetime | None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "task": self.task,
            "queue": self.queue,
            "scheduled_at": self.scheduled_at.isoformat() if self.scheduled_at else None,
        }


def check_queue(queue: str | None) -> None:
    if queue is not None and queue not in QUEUES:
        raise BadInput(f"unknown queue {queue!r}; queues are {', '.join(QUEUES)}")


async def submit_job(
    session: AsyncSession,
    task_name: str,
    args: dict[str, Any],
    *,
    schedule_at: datetime | None = None,
    queue: str | None = None,
    priority: int | None = None,
    lock: str | None = None,
    queueing_lock: str | None = None,
) -> Submitted:
    """Every check first (task, payload, the task's own check, queue), then one job.

    ``schedule_at`` comes from ``schedule_text.starts.start_time`` (``--at``/``--in``).
    """
    task = resolve_task(task_name)
    kwargs = await checked_args(task, args)
    check_queue(queue)
    options = JobOptions(
        schedule_at=schedule_at,
        priority=priority,
        lock=lock,
        queueing_lock=queueing_lock,
        queue=queue,
    )
    job_id = await defer(session, task, kwargs, options)
    return Submitted(
        id=job_id, task=task.name, queue=queue or task.queue, scheduled_at=options.schedule_at
    )
