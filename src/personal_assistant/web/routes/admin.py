"""``/email``, ``/breakers``, ``/alerts`` and ``/audit``."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from personal_assistant.email import outbox
from personal_assistant.errors import BadInput
from personal_assistant.resilience.breaker import list_breakers, reset_breaker
from personal_assistant.web import audit, overview
from personal_assistant.web.db import web_session
from personal_assistant.web.pages import act, refused, render


async def email_page(request: Request) -> Response:
    status = request.query_params.get("status") or None
    try:
        async with web_session() as session:
            emails = await outbox.list_emails(session, status=status, limit=200)
    except BadInput as exc:
        return refused(request, str(exc))
    return render(request, "email.html", emails=emails, selected=status or "")


async def email_retry(request: Request) -> Response:
    outbox_id: int = request.path_params["outbox_id"]

    async def work(session: AsyncSession) -> tuple[int, str]:
        job_id = await outbox.retry_email(session, outbox_id)
        return 1, f"email {outbox_id} queued again (job {job_id})"

    return await act(request, "email.retry", f"email {outbox_id}", work, back="/email")


async def breakers_page(request: Request) -> Response:
    async with web_session() as session:
        found = await list_breakers(session)
    return render(request, "breakers.html", breakers=found)


async def breaker_reset(request: Request) -> Response:
    name: str = request.path_params["name"]

    async def work(session: AsyncSession) -> tuple[int, str]:
        await reset_breaker(session, name)
        return 1, f"breaker {name} closed"

    return await act(request, "breaker.reset", name, work, back="/breakers")


async def alerts_page(request: Request) -> Response:
    async with web_session() as session:
        found = await overview.recent_alerts(session)
    return render(request, "alerts.html", alerts=found)


async def audit_page(request: Request) -> Response:
    before = request.query_params.get("before", "")
    async with web_session() as session:
        rows = await audit.recent(session, before=int(before) if before.isdigit() else None)
    return render(request, "audit.html", rows=rows)


routes = [
    Route("/email", email_page),
    Route("/email/{outbox_id:int}/retry", email_retry, methods=["POST"]),
    Route("/breakers", breakers_page),
    Route("/breakers/{name:str}/reset", breaker_reset, methods=["POST"]),
    Route("/alerts", alerts_page),
    Route("/audit", audit_page),
]
