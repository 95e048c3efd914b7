"""Create, change, pause, resume, cancel, delete and run AI tasks now.

Each service takes the caller's session: a task's row and the job of its next run commit
together or not at all. Input is validated before anything is written.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from itertools import pairwise

from sqlalchemy import delete, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from personal_assistant.ai.deferral import RUN_NOW_PRIORITY, cancel_job, defer_run
from personal_assistant.ai.models import TASK_STATUSES, AITask, AITaskRun
from personal_assistant.errors import BadInput, NotFound
from personal_assistant.logs import log_fields
from personal_assistant.mcp_client.patterns import check_patterns
from personal_assistant.notifications.service import check_channel_ready
from personal_assistant.schedule_text import (
    Schedule,
    ScheduleError,
    parse_schedule,
    parse_timezone,
    schedule_from_normalized,
)
from personal_assistant.settings import get_settings

logger = logging.getLogger("personal_assistant.ai")

TITLE_MAX_CHARS = 200
INSTRUCTIONS_MAX_CHARS = 20_000
# Consecutive runs compared to find a schedule's shortest interval.
FREQUENCY_SAMPLE = 60


def schedule_of(task: AITask) -> Schedule:
    return schedule_from_normalized(task.schedule_kind, task.schedule_normalized, task.timezone)


def check_timezone(timezone: str | None) -> str | None:
    if timezone is None:
        return None
    try:
        return parse_timezone(timezone).key
    except ScheduleError as exc:
        raise BadInput(str(exc)) from None


def owner_and_zone(user: str | None, timezone: str | None) -> tuple[str, str]:
    """A new task's owner and time zone: the configured defaults where not given."""
    settings = get_settings()
    return (
        user if user is not None else settings.ai_default_user,
        timezone if timezone is not None else settings.user_timezone,
    )


def parse_task_schedule(text: str, timezone: str | None, now: datetime) -> Schedule:
    try:
        return parse_schedule(text, tz=timezone, now=now)
    except ScheduleError as exc:
        raise BadInput(str(exc)) from None


def _check_frequency(rule: Schedule, now: datetime) -> None:
    """Refuse a schedule with any two runs closer than PA_AI_MIN_INTERVAL_SECONDS.

    Each run holds a language model and may act for the user: a task that runs every
    second, or copies itself, would spend both without bound.
    """
    if not rule.recurring:
        return
    minimum = get_settings().ai_min_interval_seconds
    runs = rule.upcoming(now, FREQUENCY_SAMPLE)
    shortest = min(((b - a).total_seconds() for a, b in pairwise(runs)), default=None)
    if shortest is not None and shortest < minimum:
        raise BadInput(
            f"the schedule {rule.text!r} runs {shortest:g} s apart; AI tasks run at most once "
            f"every {minimum:g} s (PA_AI_MIN_INTERVAL_SECONDS)"
        )


# Held until the caller's transaction ends: two creations (or resumptions) for one user
# count one after the other, so together they cannot pass the cap.
LOCK_USER_TASKS = text("SELECT pg_advisory_xact_lock(hashtext('ai_tasks:' || :user_id))")


async def _check_room(session: AsyncSession, user_id: str) -> None:
    """Refuse one more live task for a user who has PA_AI_MAX_ACTIVE_TASKS_PER_USER."""
    cap = get_settings().ai_max_active_tasks_per_user
    await session.execute(LOCK_USER_TASKS, {"user_id": user_id})
    live = await session.scalar(
        select(func.count())
        .select_from(AITask)
        .where(AITask.user_id == user_id, AITask.status.in_(("active", "paused")))
    )
    if (live or 0) >= cap:
        raise BadInput(
            f"user {user_id!r} already has {live} active or paused AI tasks, the most allowed "
            "(PA_AI_MAX_ACTIVE_TASKS_PER_USER); cancel or delete one first"
        )


def _first_run(rule: Schedule, now: datetime) -> datetime:
    first = rule.next_after(now)
    if first is None:
        raise BadInput(f"the schedule {rule.text!r} has no run after now; give a future time")
    return first


def _title(title: str) -> str:
    cleaned = title.strip()
    if not cleaned:
        raise BadInput("the title must not be empty")
    if len(cleaned) > TITLE_MAX_CHARS:
        raise BadInput(f"the title is longer than {TITLE_MAX_CHARS} characters")
    return cleaned


def _instructions(instructions: str) -> str:
    cleaned = instructions.strip()
    if not cleaned:
        raise BadInput("the instructions must not be empty")
    if len(cleaned) > INSTRUCTIONS_MAX_CHARS:
        raise BadInput(f"the instructions are longer than {INSTRUCTIONS_MAX_CHARS} characters")
    return cleaned


def _max_runs(max_runs: int | None) -> int | None:
    if max_runs is not None and max_runs < 1:
        raise BadInput(f"max runs must be at least 1, not {max_runs}")
    return max_runs


async def create_task(
    session: AsyncSession,
    *,
    user_id: str,
    title: str,
    instructions: str,
    schedule: str,
    timezone: str | None = None,
    channel: str = "log",
    max_runs: int | None = None,
    mcp_tools: list[str] | None = None,
    now: datetime | None = None,
) -> AITask:
    """Store the task and defer its first run, in the caller's transaction.

    ``now`` is the task's reference instant: its schedule's relative phrases and the
    start of "every N weeks/months" count from it (default: the clock).
    """
    now = now or datetime.now(UTC)
    if not user_id.strip():
        raise BadInput("the user must not be empty")
    task = AITask(
        user_id=user_id.strip(),
        title=_title(title),
        instructions=_instructions(instructions),
        channel=check_channel_ready(channel, user_id.strip()),
        max_runs=_max_runs(max_runs),
        status="active",
        run_count=0,
        consecutive_failures=0,
        mcp_tools=check_patterns(mcp_tools or []),
        anchor_at=now,
    )
    rule = parse_task_schedule(schedule, check_timezone(timezone), now)
    _check_frequency(rule, now)
    await _check_room(session, task.user_id)
    _apply_schedule(task, rule)
    task.next_run_at = _first_run(rule, now)
    session.add(task)
    await session.flush()
    task.pending_job_id = await defer_run(session, task.id, task.next_run_at)
    _log("ai_task_created", task)
    return task


def _apply_schedule(task: AITask, rule: Schedule) -> None:
    task.schedule_text = rule.text
    task.schedule_kind = rule.kind
    task.schedule_normalized = rule.normalized
    task.timezone = rule.timezone


async def get_task(session: AsyncSession, task_id: int, *, lock: bool = False) -> AITask:
    query = select(AITask).where(AITask.id == task_id)
    if lock:
        query = query.with_for_update()
    task = (await session.execute(query)).scalar_one_or_none()
    if task is None:
        raise NotFound(f"no AI task with id {task_id}; `pa-tasks ai list` shows them")
    return task


async def list_tasks(
    session: AsyncSession, *, user_id: str | None = None, status: str | None = None
) -> list[AITask]:
    if status is not None and status not in TASK_STATUSES:
        raise BadInput(f"unknown status {status!r}; statuses are {', '.join(TASK_STATUSES)}")
    query = select(AITask).order_by(AITask.id)
    if user_id is not None:
        query = query.where(AITask.user_id == user_id)
    if status is not None:
        query = query.where(AITask.status == status)
    return list((await session.execute(query)).scalars())


async def recent_runs(session: AsyncSession, task_id: int, limit: int = 10) -> list[AITaskRun]:
    query = (
        select(AITaskRun)
        .where(AITaskRun.task_id == task_id)
        .order_by(AITaskRun.scheduled_for.desc())
        .limit(limit)
    )
    return list((await session.execute(query)).scalars())


async def update_task(
    session: AsyncSession,
    task_id: int,
    *,
    title: str | None = None,
    instructions: str | None = None,
    schedule: str | None = None,
    timezone: str | None = None,
    channel: str | None = None,
    max_runs: int | None = None,
    mcp_tools: list[str] | None = None,
    now: datetime | None = None,
) -> AITask:
    """Change a task; a new schedule replaces the pending run with the new next one."""
    now = now or datetime.now(UTC)
    changes = (title, instructions, schedule, timezone, channel, max_runs, mcp_tools)
    if all(change is None for change in changes):
        raise BadInput(
            "nothing to change: give a new title, instructions, schedule, time zone, "
            "channel, max runs or MCP tools"
        )
    task = await get_task(session, task_id, lock=True)
    new_title = _title(title) if title is not None else task.title
    new_instructions = _instructions(instructions) if instructions is not None else None
    new_channel = (
        check_channel_ready(channel, task.user_id) if channel is not None else task.channel
    )
    if mcp_tools is not None:
        check_patterns(mcp_tools)
    rule: Schedule | None = None
    next_run: datetime | None = None
    if schedule is not None or timezone is not None:
        if task.status not in ("active", "paused"):
            raise BadInput(f"task {task.id} is {task.status}; its schedule can no longer change")
        zone = check_timezone(timezone) or task.timezone
        if schedule is None and task.schedule_kind == "once":
            # A one-time run keeps its instant; only the zone it is shown in changes.
            rule = schedule_from_normalized("once", task.schedule_normalized, zone)
        else:
            rule = parse_task_schedule(schedule or task.schedule_text, zone, now)
            if schedule is not None:
                _check_frequency(rule, now)
        next_run = _first_run(rule, now) if task.status == "active" else None
    task.title, task.channel = new_title, new_channel
    if new_instructions is not None:
        task.instructions = new_instructions
    if max_runs is not None:
        task.max_runs = _max_runs(max_runs)
    if mcp_tools is not None:
        task.mcp_tools = check_patterns(mcp_tools)
    if rule is not None:
        _apply_schedule(task, rule)
        task.anchor_at = now
        if next_run is not None:
            await cancel_job(session, task.pending_job_id)
            task.next_run_at = next_run
            task.pending_job_id = await defer_run(session, task.id, next_run)
    task.updated_at = now
    _log("ai_task_updated", task)
    return task


def _require(task: AITask, allowed: tuple[str, ...], action: str) -> None:
    if task.status not in allowed:
        raise BadInput(
            f"task {task.id} is {task.status}; only {' or '.join(allowed)} tasks can be {action}"
        )


async def _stop(session: AsyncSession, task: AITask, status: str, now: datetime) -> None:
    await cancel_job(session, task.pending_job_id)
    task.status = status
    task.next_run_at = None
    task.pending_job_id = None
    task.updated_at = now


async def pause_task(session: AsyncSession, task_id: int, now: datetime | None = None) -> AITask:
    """Stop running; the pending run's job is cancelled (a run already started finishes)."""
    task = await get_task(session, task_id, lock=True)
    _require(task, ("active",), "paused")
    await _stop(session, task, "paused", now or datetime.now(UTC))
    _log("ai_task_paused", task)
    return task


async def resume_task(session: AsyncSession, task_id: int, now: datetime | None = None) -> AITask:
    """Run again from the schedule's next time after now (a failed task starts afresh)."""
    now = now or datetime.now(UTC)
    task = await get_task(session, task_id, lock=True)
    _require(task, ("paused", "failed"), "resumed")
    if task.status == "failed":  # a paused task already counts among the user's tasks
        await _check_room(session, task.user_id)
    next_run = schedule_of(task).next_after(now)
    if next_run is None:
        raise BadInput(
            f"task {task.id}'s only run time has passed; give it a new one with "
            "`pa-tasks ai update ID --schedule ...` or use `pa-tasks ai run-now ID`"
        )
    task.status = "active"
    task.consecutive_failures = 0
    task.next_run_at = next_run
    task.pending_job_id = await defer_run(session, task.id, next_run)
    task.updated_at = now
    _log("ai_task_resumed", task)
    return task


async def cancel_task(session: AsyncSession, task_id: int, now: datetime | None = None) -> AITask:
    """Stop for good; the task and its runs are kept."""
    task = await get_task(session, task_id, lock=True)
    _require(task, ("active", "paused", "failed"), "cancelled")
    await _stop(session, task, "cancelled", now or datetime.now(UTC))
    _log("ai_task_cancelled", task)
    return task


async def delete_task(session: AsyncSession, task_id: int) -> None:
    """Delete the task and its runs; its waiting job is cancelled."""
    task = await get_task(session, task_id, lock=True)
    await cancel_job(session, task.pending_job_id)
    await session.execute(delete(AITask).where(AITask.id == task.id))
    _log("ai_task_deleted", task)


async def run_now(session: AsyncSession, task_id: int, now: datetime | None = None) -> int:
    """Defer a run for now, ahead of scheduled runs; return its job id.

    A recurring task keeps its schedule (this is an extra run). A one-time task's single
    run moves to now.
    """
    at = (now or datetime.now(UTC)).replace(microsecond=0)
    task = await get_task(session, task_id, lock=True)
    _require(task, ("active",), "run now")
    job_id = await defer_run(session, task.id, at, priority=RUN_NOW_PRIORITY)
    if task.schedule_kind == "once":
        await cancel_job(session, task.pending_job_id)
        task.next_run_at, task.pending_job_id = at, job_id
    _log("ai_task_run_now", task, job_id=job_id)
    return job_id


def _log(action: str, task: AITask, **extra: object) -> None:
    logger.info(
        "AI task %s: %s",
        task.id,
        action.removeprefix("ai_task_").replace("_", " "),
        extra=log_fields(
            action,
            extra,
            ai_task_id=task.id,
            status=task.status,
            next_run_at=task.next_run_at.isoformat() if task.next_run_at else None,
        ),
    )
