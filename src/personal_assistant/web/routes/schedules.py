"""``/schedules``: stored and system schedules; edit with a live preview of next runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from personal_assistant.ai import lifecycle
from personal_assistant.errors import BadInput
from personal_assistant.schedules import service
from personal_assistant.schedules.system import system_schedules
from personal_assistant.settings import QUEUES
from personal_assistant.web.db import web_session
from personal_assistant.web.pages import act, json_object, render

LAST_FIRES = text(
    """
    SELECT DISTINCT ON (f.schedule_id) f.schedule_id, f.fire_at, f.job_id,
           j.status::text AS status
      FROM schedule_fires f LEFT JOIN procrastinate_jobs j ON j.id = f.job_id
     WHERE f.fire_at <= now()
     ORDER BY f.schedule_id, f.fire_at DESC
    """
)
# The latest finished job of each task: one index probe per (task, outcome).
LAST_OUTCOMES = text(
    """
    SELECT t.name, last.id, last.status,
           (SELECT max(at) FROM procrastinate_events e WHERE e.job_id = last.id) AS at
      FROM unnest(CAST(:tasks AS text[])) AS t(name)
      LEFT JOIN LATERAL (
            SELECT s.status,
                   (SELECT max(j.id) FROM procrastinate_jobs j
                     WHERE j.task_name = t.name
                       AND j.status = CAST(s.status AS procrastinate_job_status)) AS id
              FROM unnest(ARRAY['succeeded', 'failed', 'cancelled', 'aborted']) AS s(status)
             ORDER BY 2 DESC NULLS LAST LIMIT 1) last ON true
    """
)
PREVIEW_COUNT = 5


async def schedules_page(request: Request) -> Response:
    now = datetime.now(UTC)
    system = system_schedules(now)
    async with web_session() as session:
        rows = await service.list_schedules(session)
        fires = {r.schedule_id: r for r in await session.execute(LAST_FIRES)}
        outcomes = {
            r.name: r
            for r in await session.execute(LAST_OUTCOMES, {"tasks": [s.task_name for s in system]})
        }
    stored = [(row, service.rule_of(row).describe(), fires.get(row.id)) for row in rows]
    return render(request, "schedules.html", stored=stored, system=system, outcomes=outcomes)


def _preview(schedule: str, tz: str, *, for_ai: bool) -> dict[str, Any]:
    if not schedule.strip():
        return {"error": None, "description": None, "runs": []}
    if len(schedule) > 500:
        return {"error": "schedule text is too long (at most 500 characters)", "runs": []}
    now = datetime.now(UTC)
    try:
        zone = lifecycle.check_timezone(tz.strip() or None)
        if for_ai:
            rule = lifecycle.parse_task_schedule(schedule, zone, now)
        else:
            rule = service.parse_rule(schedule, zone)
    except BadInput as exc:
        return {"error": str(exc), "runs": []}
    runs = rule.upcoming(now - timedelta(microseconds=1), PREVIEW_COUNT)
    return {"error": None, "description": rule.describe(), "runs": runs, "zone": rule.timezone}


async def preview(request: Request) -> Response:
    """Writes nothing: the next runs of the text being typed, from the CLI's parser."""
    params = request.query_params
    found = _preview(
        params.get("schedule", ""), params.get("tz", ""), for_ai=params.get("for") == "ai"
    )
    return render(request, "_preview.html", **found)


async def edit_page(request: Request) -> Response:
    name: str = request.path_params["name"]
    async with web_session() as session:
        try:
            row = await service.get_schedule(session, name)
        except BadInput as exc:
            return render(request, "error.html", http_status=404, message=str(exc))
    found = _preview(row.schedule_text, row.timezone, for_ai=False)
    return render(request, "schedule_edit.html", row=row, queues=QUEUES, **found)


async def edit(request: Request) -> Response:
    name: str = request.path_params["name"]
    form = await request.form()

    def field(key: str) -> str | None:
        value = str(form.get(key) or "").strip()
        return value or None

    async def work(session: AsyncSession) -> tuple[int, str]:
        priority = field("priority")
        if priority is not None and not priority.lstrip("-").isdigit():
            raise BadInput("priority must be a whole number")
        args = field("args")
        change = service.ScheduleChange(
            schedule_text=field("schedule"),
            args=json_object(args, "args") if args is not None else None,
            timezone=lifecycle.check_timezone(field("tz")),
            queue=field("queue"),
            priority=int(priority) if priority is not None else None,
            misfire_policy=field("misfire"),
        )
        row = await service.edit_schedule(session, name, change)
        return (
            1,
            f"{name}: next run {row.next_run_at:%Y-%m-%d %H:%M %Z}"
            if row.next_run_at
            else f"{name} saved",
        )

    return await act(request, "schedule.edit", name, work, back="/schedules")


async def schedule_action(request: Request) -> Response:
    name: str = request.path_params["name"]
    action: str = request.path_params["action"]

    async def work(session: AsyncSession) -> tuple[int, str]:
        if action == "pause":
            await service.set_enabled(session, name, False)
            return 1, f"{name} paused"
        if action == "resume":
            await service.set_enabled(session, name, True)
            return 1, f"{name} resumed"
        if action == "run":
            job_id = await service.run_schedule_now(session, name)
            return 1, f"{name}: job {job_id} deferred now"
        if action == "delete":
            await service.delete_schedule(session, name)
            return 1, f"{name} deleted"
        raise BadInput(f"unknown schedule action {action!r}; use pause, resume, run or delete")

    return await act(request, f"schedule.{action}", name, work, back="/schedules")


routes = [
    Route("/schedules", schedules_page),
    Route("/schedules/preview", preview),
    Route("/schedules/{name:str}/edit", edit_page),
    Route("/schedules/{name:str}/edit", edit, methods=["POST"]),
    Route("/schedules/{name:str}/{action:str}", schedule_action, methods=["POST"]),
]
