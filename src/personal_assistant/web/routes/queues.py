"""``/queues``: counts per queue; pause, resume and scale through flow control."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from personal_assistant.errors import BadInput
from personal_assistant.jobs import queue_control
from personal_assistant.jobs.inspect import STATUSES
from personal_assistant.settings import get_settings
from personal_assistant.web import overview
from personal_assistant.web.db import web_session
from personal_assistant.web.pages import act, principal, render


async def queues_page(request: Request) -> Response:
    async with web_session() as session:
        names = await overview.queue_names(session)
        counts = await overview.capped_counts(session, names)
        controls = await overview.queue_controls(session)
    return render(
        request,
        "queues.html",
        names=names,
        counts=counts,
        statuses=STATUSES,
        controls=controls,
        concurrency=get_settings().worker_concurrency,
    )


async def queue_action(request: Request) -> Response:
    queue: str = request.path_params["queue"]
    action: str = request.path_params["action"]
    form = await request.form()
    who = principal(request).name

    async def work(session: AsyncSession) -> tuple[int, str]:
        if action == "pause":
            reason = str(form.get("reason") or "paused from the dashboard")[:500]
            await queue_control.pause_queue(session, queue, reason=reason, by=who)
            return 1, f"{queue} paused"
        if action == "resume":
            await queue_control.resume_queue(session, queue, by=who)
            return 1, f"{queue} resumed"
        if action == "scale":
            raw = str(form.get("concurrency") or "").strip()
            if not raw.isdigit() or len(raw) > 6:
                raise BadInput("concurrency must be a whole number")
            await queue_control.scale_queue(session, queue, int(raw), by=who)
            return 1, f"{queue} concurrency set to {raw}"
        raise BadInput(f"unknown queue action {action!r}; use pause, resume or scale")

    return await act(request, f"queue.{action}", queue, work, back="/queues")


routes = [
    Route("/queues", queues_page),
    Route("/queues/{queue:str}/{action:str}", queue_action, methods=["POST"]),
]
