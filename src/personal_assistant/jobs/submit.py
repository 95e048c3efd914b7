"""Submit one job as a user asked for it: the checks every entry point shares (the CLI's
``defer`` and the MCP server's ``defer_job``), then the deferral in the caller's session.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from personal_assistant.errors import BadInput
from personal_assistant.settings import QUEUES
from personal_assistant.workers.enqueue import JobOptions, checked_args, defer
from personal_assistant.workers.lookup import resolve_task


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


def schedule_time(at: str | None, in_: str | None, now: datetime | None = None) -> datetime | None:
    """``--at`` (an instant in words or ISO) or ``--in`` (a delay), from ``now``."""
    if at and in_:
        raise BadInput("give either --at or --in, not both")
    if not (at or in_):
        return None
    from personal_assistant.scheduling import ScheduleError, parse_duration, parse_instant

    now = now or datetime.now(UTC)
    try:
        if at:
            return parse_instant(at, now=now)
        if in_:
            return now + parse_duration(in_)
    except ScheduleError as exc:
        option = "--at" if at else "--in"
        raise BadInput(f"{option}: {exc}") from None
    return None


def check_queue(queue: str | None) -> None:
    if queue is not None and queue not in QUEUES:
        raise BadInput(f"unknown queue {queue!r}; queues are {', '.join(QUEUES)}")


async def submit_job(
    session: AsyncSession,
    task_name: str,
    args: dict[str, Any],
    *,
    at: str | None = None,
    in_: str | None = None,
    queue: str | None = None,
    priority: int | None = None,
    lock: str | None = None,
    queueing_lock: str | None = None,
) -> Submitted:
    """Every check first (task, payload, the task's own check, queue, time), then one job."""
    task = resolve_task(task_name)
    kwargs = await checked_args(task, args)
    check_queue(queue)
    options = JobOptions(
        schedule_at=schedule_time(at, in_),
        priority=priority,
        lock=lock,
        queueing_lock=queueing_lock,
        queue=queue,
    )
    job_id = await defer(session, task, kwargs, options)
    return Submitted(
        id=job_id, task=task.name, queue=queue or task.queue, scheduled_at=options.schedule_at
    )
