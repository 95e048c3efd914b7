"""Build the dashboard's ASGI app."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from personal_assistant.db.session import dispose_engine
from personal_assistant.settings import Settings, get_settings
from personal_assistant.web.guard import Guard
from personal_assistant.web.pages import refused, templates
from personal_assistant.web.routes import admin, ai, jobs, live, overview, queues, schedules
from personal_assistant.web.security import AuthHook, Csrf, SettingsAuth

STATIC = Path(__file__).with_name("static")


def create_app(
    settings: Settings | None = None,
    *,
    auth: AuthHook | None = None,
    csrf_secret: str | None = None,
) -> Starlette:
    """The dashboard. ``auth`` replaces the built-in password/token check when a host
    application mounts it: it returns the request's ``Principal`` or None (401)."""
    settings = settings or get_settings()
    secret = csrf_secret or (
        settings.web_secret.get_secret_value() if settings.web_secret else None
    )
    csrf = Csrf(secret)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        running: set[asyncio.Task[Any]] = app.state.bulk_tasks
        # A bulk action in flight finishes its batch: each batch is its own transaction.
        for task in list(running):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(task, timeout=10)
        await dispose_engine()

    async def not_found(request: Request, exc: Exception) -> Response:
        return refused(request, "no such page", status=404)

    app = Starlette(
        routes=[
            *overview.routes,
            *jobs.routes,
            *queues.routes,
            *schedules.routes,
            *ai.routes,
            *admin.routes,
            *live.routes,
            Mount("/static", StaticFiles(directory=STATIC), name="static"),
        ],
        middleware=[Middleware(Guard, auth=auth or SettingsAuth(settings), csrf=csrf)],
        exception_handlers={404: not_found},
        lifespan=lifespan,
    )
    app.state.csrf = csrf
    app.state.templates = templates()
    app.state.bulk_tasks = set()
    return app
