"""``/ai``: AI tasks and their runs; create one with a live schedule preview."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from personal_assistant.ai import lifecycle
from personal_assistant.errors import BadInput
from personal_assistant.settings import get_settings
from personal_assistant.web.db import web_session
from personal_assistant.web.pages import act, refused, render

CHANNELS = ("log", "email", "webhook")


async def ai_page(request: Request) -> Response:
    async with web_session() as session:
        tasks = await lifecycle.list_tasks(session)
    described = [(t, lifecycle.schedule_of(t).describe()) for t in tasks]
    settings = get_settings()
    return render(
        request,
        "ai.html",
        tasks=described,
        channels=CHANNELS,
        default_tz=settings.user_timezone,
        default_user=settings.ai_default_user,
    )


async def ai_task_page(request: Request) -> Response:
    task_id: int = request.path_params["task_id"]
    async with web_session() as session:
        try:
            task = await lifecycle.get_task(session, task_id)
        except BadInput as exc:
            return refused(request, str(exc), status=404)
        runs = await lifecycle.recent_runs(session, task_id, 50)
    return render(
        request,
        "ai_task.html",
        task=task,
        runs=runs,
        description=lifecycle.schedule_of(task).describe(),
    )


async def create(request: Request) -> Response:
    form = await request.form()

    def field(key: str) -> str:
        return str(form.get(key) or "").strip()

    async def work(session: AsyncSession) -> tuple[int, str]:
        max_runs = field("max_runs")
        if max_runs and not max_runs.isdigit():
            raise BadInput("max runs must be a whole number")
        user_id, zone = lifecycle.owner_and_zone(field("user") or None, field("tz") or None)
        task = await lifecycle.create_task(
            session,
            user_id=user_id,
            title=field("title"),
            instructions=field("instructions"),
            schedule=field("schedule"),
            timezone=zone,
            channel=field("channel") or "log",
            max_runs=int(max_runs) if max_runs else None,
        )
        return 1, f"AI task {task.id} created; next run {task.next_run_at:%Y-%m-%d %H:%M %Z}"

    return await act(request, "ai.create", field("title"), work, back="/ai")


async def task_action(request: Request) -> Response:
    task_id: int = request.path_params["task_id"]
    action: str = request.path_params["action"]

    async def work(session: AsyncSession) -> tuple[int, str]:
        if action == "pause":
            await lifecycle.pause_task(session, task_id)
        elif action == "resume":
            await lifecycle.resume_task(session, task_id)
        elif action == "cancel":
            await lifecycle.cancel_task(session, task_id)
        elif action == "run":
            job_id = await lifecycle.run_now(session, task_id)
            return 1, f"AI task {task_id}: job {job_id} deferred now"
        else:
            raise BadInput(f"unknown AI task action {action!r}; use pause, resume, cancel or run")
        return (
            1,
            f"AI task {task_id}: {action}d"
            if action != "cancel"
            else f"AI task {task_id}: cancelled",
        )

    return await act(request, f"ai.{action}", f"AI task {task_id}", work, back=f"/ai/{task_id}")


routes = [
    Route("/ai", ai_page),
    Route("/ai", create, methods=["POST"]),
    Route("/ai/{task_id:int}", ai_task_page),
    Route("/ai/{task_id:int}/{action:str}", task_action, methods=["POST"]),
]
