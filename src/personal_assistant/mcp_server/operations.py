"""The operations an assistant can call. Each opens one transaction and calls the same
service as the CLI; a refusal is the CLI's one line (raised as BadInput).

Docstrings are the tools' descriptions; parameter types are their input schemas.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from personal_assistant.ai import lifecycle
from personal_assistant.ai.views import run_json, task_json
from personal_assistant.db.session import session_scope
from personal_assistant.errors import BadInput
from personal_assistant.history.service import HistoryFilter, history
from personal_assistant.jobs import inspect
from personal_assistant.jobs.declare import spec_of
from personal_assistant.jobs.lookup import registered_tasks, resolve_task
from personal_assistant.jobs.submit import submit_job
from personal_assistant.schedule_text import ScheduleError, parse_instant, parse_timezone
from personal_assistant.schedule_text.starts import start_time
from personal_assistant.schedules import service as schedules
from personal_assistant.schedules.views import fire_json, schedule_json
from personal_assistant.settings import QUEUES

Json = dict[str, Any]


def _zone(timezone: str | None) -> str | None:
    if timezone is None:
        return None
    try:
        return parse_timezone(timezone).key
    except ScheduleError as exc:
        raise BadInput(str(exc)) from None


# --- read ---


async def list_tasks() -> list[Json]:
    """Every task that can be deferred or scheduled, with its queue and description."""
    rows = []
    for name, task in sorted(registered_tasks().items()):
        spec = spec_of(task)
        rows.append(
            {
                "name": name,
                "queue": task.queue,
                "description": spec.description if spec else "",
                "args_schema": spec.payload.model_json_schema() if spec else None,
            }
        )
    return rows


async def list_jobs(
    status: str | None = None, queue: str | None = None, task: str | None = None, limit: int = 50
) -> list[Json]:
    """Jobs, newest first; filter by status (todo, doing, succeeded, failed, ...), queue, task."""
    if status is not None and status not in inspect.STATUSES:
        raise BadInput(f"unknown status {status!r}; statuses are {', '.join(inspect.STATUSES)}")
    if queue is not None and queue not in QUEUES:
        raise BadInput(f"unknown queue {queue!r}; queues are {', '.join(QUEUES)}")
    if not 1 <= limit <= 1000:
        raise BadInput(f"limit must be from 1 to 1000, not {limit}")
    full = resolve_task(task).name if task is not None else None
    async with session_scope() as session:
        jobs = await inspect.list_jobs(session, status=status, queue=queue, task=full, limit=limit)
    return [job.as_json() for job in jobs]


async def get_job(job_id: int) -> Json:
    """A job, its result and its events timeline."""
    async with session_scope() as session:
        detail = await inspect.get_job(session, job_id)
    data: Json = detail.as_json()
    return data


async def preview_schedule(
    schedule: str, count: int = 5, timezone: str | None = None, start: str | None = None
) -> Json:
    """Preview the next runs of schedule text ('every weekday at 8:30', cron, 'in 2 hours');
    writes nothing. ``start`` (ISO) is the instant everything counts from (default now)."""
    zone = _zone(timezone)
    try:
        begin = parse_instant(start, tz=zone) if start else datetime.now(UTC)
    except ScheduleError as exc:
        raise BadInput(f"start: {exc}") from None
    rule, runs = schedules.preview(schedule, count=count, timezone=zone, start=begin)
    return {
        "description": rule.describe(),
        "kind": rule.kind,
        "timezone": rule.timezone,
        "runs": [r.astimezone(UTC).isoformat().replace("+00:00", "Z") for r in runs],
    }


async def list_schedules() -> list[Json]:
    """Stored schedules with their next run."""
    async with session_scope() as session:
        return [schedule_json(row) for row in await schedules.list_schedules(session)]


async def get_schedule(name: str) -> Json:
    """A stored schedule, its next runs and its recent fires."""
    async with session_scope() as session:
        row = await schedules.get_schedule(session, name)
        fires = await schedules.recent_fires(session, row.id)
        data = schedule_json(row)
    upcoming = schedules.rule_of(row).upcoming(datetime.now(UTC), 5) if row.enabled else []
    return {
        **data,
        "upcoming": [u.isoformat() for u in upcoming],
        "recent": [fire_json(f) for f in fires],
    }


async def list_ai_tasks(user: str | None = None, status: str | None = None) -> list[Json]:
    """AI tasks (scheduled instructions run by an agent), oldest first."""
    async with session_scope() as session:
        return [
            task_json(t) for t in await lifecycle.list_tasks(session, user_id=user, status=status)
        ]


async def get_ai_task(task_id: int, runs: int = 10) -> Json:
    """An AI task and its last runs (with each run's tool calls)."""
    if not 0 <= runs <= 1000:
        raise BadInput(f"runs must be from 0 to 1000, not {runs}")
    async with session_scope() as session:
        task = await lifecycle.get_task(session, task_id)
        recent = await lifecycle.recent_runs(session, task_id, runs)
        return {**task_json(task), "runs": [run_json(r) for r in recent]}


async def get_history(
    task: str | None = None,
    schedule: str | None = None,
    ai_task: int | None = None,
    since: str | None = None,
    status: str | None = None,
    limit: int = 100,
) -> list[Json]:
    """Every execution (job attempts, schedule fires, AI runs), newest first, with outcome
    and duration. ``since``: 1d, 2h, 30m or an ISO instant."""
    where = HistoryFilter.parse(
        task=task, schedule=schedule, ai_task=ai_task, since=since, status=status, limit=limit
    )
    async with session_scope() as session:
        return [e.as_json() for e in await history(session, where)]


# --- change ---


async def defer_job(
    task: str,
    args: dict[str, Any] | None = None,
    at: str | None = None,
    delay: str | None = None,
    queue: str | None = None,
    priority: int | None = None,
) -> Json:
    """Defer one job of a task (see list_tasks); ``at`` ('tomorrow 9am', ISO) or ``delay``
    ('10m') starts it later. Returns its id."""
    async with session_scope() as session:
        submitted = await submit_job(
            session,
            task,
            args or {},
            schedule_at=start_time(at, delay),
            queue=queue,
            priority=priority,
        )
    return submitted.as_json()


async def create_schedule(
    name: str,
    task: str,
    schedule: str,
    args: dict[str, Any] | None = None,
    timezone: str | None = None,
    misfire: str = "run_once",
) -> Json:
    """Store a schedule running ``task`` with ``args`` ('every weekday at 8:30', cron...)."""
    async with session_scope() as session:
        row = await schedules.add_schedule(
            session,
            name=name,
            task_name=task,
            schedule_text=schedule,
            args=args or {},
            timezone=_zone(timezone),
            misfire_policy=misfire,
        )
        return schedule_json(row)


async def pause_schedule(name: str) -> Json:
    """Stop a schedule firing; its runs deferred but not started are cancelled."""
    async with session_scope() as session:
        return schedule_json(await schedules.set_enabled(session, name, False))


async def resume_schedule(name: str) -> Json:
    """Fire a paused schedule again, from its next time after now."""
    async with session_scope() as session:
        return schedule_json(await schedules.set_enabled(session, name, True))


async def delete_schedule(name: str) -> Json:
    """Delete a schedule and cancel its pending runs."""
    async with session_scope() as session:
        await schedules.delete_schedule(session, name)
    return {"deleted": name}


async def create_ai_task(
    title: str,
    instructions: str,
    schedule: str,
    timezone: str | None = None,
    user: str | None = None,
    channel: str = "log",
    max_runs: int | None = None,
    tools: list[str] | None = None,
) -> Json:
    """Create an AI task: ``instructions`` run by an agent on ``schedule``; ``tools`` names
    MCP tools it may call ('time.get_current_time', 'docs.*')."""
    user_id, zone = lifecycle.owner_and_zone(user, timezone)
    async with session_scope() as session:
        task = await lifecycle.create_task(
            session,
            user_id=user_id,
            title=title,
            instructions=instructions,
            schedule=schedule,
            timezone=zone,
            channel=channel,
            max_runs=max_runs,
            mcp_tools=tools,
        )
        return task_json(task)


async def update_ai_task(
    task_id: int,
    title: str | None = None,
    instructions: str | None = None,
    schedule: str | None = None,
    timezone: str | None = None,
    channel: str | None = None,
    max_runs: int | None = None,
    tools: list[str] | None = None,
) -> Json:
    """Change an AI task; a new schedule replaces its pending run."""
    async with session_scope() as session:
        task = await lifecycle.update_task(
            session,
            task_id,
            title=title,
            instructions=instructions,
            schedule=schedule,
            timezone=timezone,
            channel=channel,
            max_runs=max_runs,
            mcp_tools=tools,
        )
        return task_json(task)


async def pause_ai_task(task_id: int) -> Json:
    """Stop an AI task running; its pending run is cancelled."""
    async with session_scope() as session:
        return task_json(await lifecycle.pause_task(session, task_id))


async def resume_ai_task(task_id: int) -> Json:
    """Run a paused AI task again, from its next time after now."""
    async with session_scope() as session:
        return task_json(await lifecycle.resume_task(session, task_id))


async def cancel_ai_task(task_id: int) -> Json:
    """Stop an AI task for good; it and its runs are kept."""
    async with session_scope() as session:
        return task_json(await lifecycle.cancel_task(session, task_id))


async def delete_ai_task(task_id: int) -> Json:
    """Delete an AI task and its runs."""
    async with session_scope() as session:
        await lifecycle.delete_task(session, task_id)
    return {"deleted": task_id}


async def run_ai_task_now(task_id: int) -> Json:
    """Run an AI task now, ahead of its schedule; returns the job id."""
    async with session_scope() as session:
        return {"job_id": await lifecycle.run_now(session, task_id)}


READ = (
    list_tasks,
    list_jobs,
    get_job,
    preview_schedule,
    list_schedules,
    get_schedule,
    list_ai_tasks,
    get_ai_task,
    get_history,
)
CHANGE = (
    defer_job,
    create_schedule,
    pause_schedule,
    resume_schedule,
    delete_schedule,
    create_ai_task,
    update_ai_task,
    pause_ai_task,
    resume_ai_task,
    cancel_ai_task,
    delete_ai_task,
    run_ai_task_now,
)
