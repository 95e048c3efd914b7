"""Create, edit, pause, resume and delete stored schedules (services taking a session)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from personal_assistant.errors import BadInput, NotFound
from personal_assistant.jobs.enqueue import JobOptions, checked_args, defer
from personal_assistant.jobs.lookup import resolve_task
from personal_assistant.schedule_text import ScheduleError, parse_schedule, schedule_from_normalized
from personal_assistant.schedule_text.types import Schedule
from personal_assistant.schedules.models import ScheduleFire, StoredSchedule
from personal_assistant.settings import QUEUES

MISFIRE_POLICIES = ("run_once", "skip")

CANCEL_PENDING = text(
    """
    WITH pending AS (
        SELECT f.job_id FROM schedule_fires f
          JOIN procrastinate_jobs j ON j.id = f.job_id AND j.status = 'todo'
         WHERE f.schedule_id = :schedule_id
    ), cancelled AS (
        UPDATE procrastinate_jobs SET status = 'cancelled'
         WHERE id IN (SELECT job_id FROM pending) RETURNING id
    )
    DELETE FROM schedule_fires WHERE job_id IN (SELECT id FROM cancelled)
    """
)


@dataclass(frozen=True)
class ScheduleChange:
    schedule_text: str | None = None
    args: dict[str, Any] | None = None
    timezone: str | None = None
    queue: str | None = None
    priority: int | None = None
    misfire_policy: str | None = None


def rule_of(row: StoredSchedule) -> Schedule:
    return schedule_from_normalized(row.kind, row.normalized, row.timezone)


def parse_rule(schedule_text: str, timezone: str | None, now: datetime | None = None) -> Schedule:
    """The rule, with relative phrases and anchors taken from ``now`` (default: the clock)."""
    try:
        return parse_schedule(schedule_text, tz=timezone, now=now)
    except ScheduleError as exc:
        raise BadInput(str(exc)) from None


def preview(
    schedule_text: str, *, count: int, timezone: str | None, start: datetime | None = None
) -> tuple[Schedule, list[datetime]]:
    """The rule and its next ``count`` runs, everything computed from ``start``.

    ``start`` is the one reference instant: "in 30 minutes", "at 5pm", "next monday" and
    the anchor of "every 2 weeks" all count from it, and a run exactly at it counts.
    """
    if not 1 <= count <= 1000:
        raise BadInput(f"count must be from 1 to 1000, not {count}")
    start = start or datetime.now(UTC)
    rule = parse_rule(schedule_text, timezone, now=start)
    return rule, rule.upcoming(start - timedelta(microseconds=1), count)


def first_run(rule: Schedule, now: datetime) -> datetime:
    """The rule's next run after ``now``: a schedule with none (a past time) is refused."""
    first = rule.next_after(now)
    if first is None:
        raise BadInput(f"the schedule {rule.text!r} has no run after now; give a future time")
    return first


def _check_options(queue: str | None, misfire_policy: str | None) -> None:
    if queue is not None and queue not in QUEUES:
        raise BadInput(f"unknown queue {queue!r}; queues are {', '.join(QUEUES)}")
    if misfire_policy is not None and misfire_policy not in MISFIRE_POLICIES:
        raise BadInput(
            f"unknown misfire policy {misfire_policy!r}; use {' or '.join(MISFIRE_POLICIES)}"
        )


async def _task_args(task_name: str, args: dict[str, Any]) -> dict[str, Any]:
    return await checked_args(resolve_task(task_name), args)


async def get_schedule(session: AsyncSession, name: str, *, lock: bool = False) -> StoredSchedule:
    query = select(StoredSchedule).where(StoredSchedule.name == name)
    if lock:
        query = query.with_for_update()
    row = (await session.execute(query)).scalar_one_or_none()
    if row is None:
        raise NotFound(f"no schedule named {name!r}; `pa-tasks schedule list` shows them")
    return row


async def add_schedule(
    session: AsyncSession,
    *,
    name: str,
    task_name: str,
    schedule_text: str,
    args: dict[str, Any] | None = None,
    timezone: str | None = None,
    queue: str | None = None,
    priority: int | None = None,
    misfire_policy: str = "run_once",
    now: datetime | None = None,
) -> StoredSchedule:
    if not name.strip():
        raise BadInput("a schedule needs a non-empty name")
    _check_options(queue, misfire_policy)
    task = resolve_task(task_name)
    now = now or datetime.now(UTC)
    rule = parse_rule(schedule_text, timezone, now)
    next_run = first_run(rule, now)
    exists = await session.execute(select(StoredSchedule.id).where(StoredSchedule.name == name))
    if exists.first() is not None:
        raise BadInput(f"a schedule named {name!r} exists; edit it or pick another name")
    task_args = await _task_args(task.name, args or {})
    row = StoredSchedule(
        name=name,
        task_name=task.name,
        args=task_args,
        schedule_text=rule.text,
        kind=rule.kind,
        normalized=rule.normalized,
        timezone=rule.timezone,
        enabled=True,
        queue=queue,
        priority=priority,
        misfire_policy=misfire_policy,
        anchor_at=now,
        next_run_at=next_run,
    )
    session.add(row)
    await session.flush()
    return row


async def edit_schedule(
    session: AsyncSession, name: str, change: ScheduleChange, now: datetime | None = None
) -> StoredSchedule:
    """Apply ``change``; runs already deferred but not started are re-planned."""
    if change == ScheduleChange():
        raise BadInput(
            "nothing to change: give a new schedule, args, time zone, queue, priority "
            "or misfire policy"
        )
    _check_options(change.queue, change.misfire_policy)
    row = await get_schedule(session, name, lock=True)
    if change.schedule_text is not None or change.timezone is not None:
        # A new rule starts now: its relative phrases and its anchor count from the edit.
        now = now or datetime.now(UTC)
        rule = parse_rule(
            change.schedule_text or row.schedule_text, change.timezone or row.timezone, now
        )
        if row.enabled:
            first_run(rule, now)
        row.schedule_text, row.kind, row.normalized = rule.text, rule.kind, rule.normalized
        row.timezone = rule.timezone
        row.anchor_at = now
    if change.args is not None:
        row.args = await _task_args(row.task_name, change.args)
    if change.queue is not None:
        row.queue = change.queue
    if change.priority is not None:
        row.priority = change.priority
    if change.misfire_policy is not None:
        row.misfire_policy = change.misfire_policy
    await _replan(session, row, now)
    return row


async def _replan(session: AsyncSession, row: StoredSchedule, now: datetime | None) -> None:
    await session.execute(CANCEL_PENDING, {"schedule_id": row.id})
    row.next_run_at = rule_of(row).next_after(now or datetime.now(UTC)) if row.enabled else None
    row.updated_at = datetime.now(UTC)


async def set_enabled(
    session: AsyncSession, name: str, enabled: bool, now: datetime | None = None
) -> StoredSchedule:
    row = await get_schedule(session, name, lock=True)
    if row.enabled == enabled:
        state = "active" if enabled else "paused"
        raise BadInput(f"schedule {name!r} is already {state}")
    if enabled:
        first_run(rule_of(row), now or datetime.now(UTC))
    row.enabled = enabled
    await _replan(session, row, now)
    return row


async def delete_schedule(session: AsyncSession, name: str) -> None:
    row = await get_schedule(session, name, lock=True)
    await session.execute(CANCEL_PENDING, {"schedule_id": row.id})
    await session.execute(delete(StoredSchedule).where(StoredSchedule.id == row.id))


async def list_schedules(session: AsyncSession) -> list[StoredSchedule]:
    return list(
        (await session.execute(select(StoredSchedule).order_by(StoredSchedule.name))).scalars()
    )


async def recent_fires(
    session: AsyncSession, schedule_id: int, limit: int = 10
) -> list[ScheduleFire]:
    query = (
        select(ScheduleFire)
        .where(ScheduleFire.schedule_id == schedule_id)
        .order_by(ScheduleFire.fire_at.desc())
        .limit(limit)
    )
    return list((await session.execute(query)).scalars())


async def run_schedule_now(session: AsyncSession, name: str) -> int:
    """Defer one run of the schedule's task now, off its timetable; return the job id."""
    row = await get_schedule(session, name)
    options = JobOptions(queue=row.queue, priority=row.priority)
    return await defer(session, resolve_task(row.task_name), row.args, options)
