"""What every route shares: rendering, the principal, actions with their audit row."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.templating import Jinja2Templates

from personal_assistant.errors import BadInput
from personal_assistant.web import audit
from personal_assistant.web.db import web_session
from personal_assistant.web.masking import masked
from personal_assistant.web.security import Csrf, Principal

TEMPLATES = Path(__file__).with_name("templates")
DASH = "\u2013"  # shown for "none"


def principal(request: Request) -> Principal:
    found: Principal = request.state.principal
    return found


def base(request: Request) -> str:
    """Where the dashboard is mounted ("" when served alone, e.g. "/tasks" in a host app)."""
    root: str = request.scope.get("root_path", "")
    return root.rstrip("/")


def _context(request: Request) -> dict[str, Any]:
    who = principal(request)
    csrf: Csrf = request.app.state.csrf
    prefix = base(request)
    path = request.url.path
    return {
        "principal": who,
        "csrf_token": csrf.token(who),
        "base": prefix,
        "path": path[len(prefix) :] if prefix and path.startswith(prefix) else path,
    }


def when(at: datetime | None) -> str:
    if at is None:
        return DASH
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def local(at: datetime | None, zone: str) -> str:
    if at is None:
        return DASH
    return at.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M %Z")


def ago(seconds: float | None) -> str:
    if seconds is None:
        return DASH
    if seconds < 90:
        return f"{seconds:.0f} s ago"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min ago"
    return f"{seconds / 3600:.1f} h ago"


def capped(count: int, cap: int = 10_000) -> str:
    return f"{cap:,}+" if count > cap else f"{count:,}"


def pretty(value: Any) -> str:
    return json.dumps(masked(value), indent=2, default=str, ensure_ascii=False)


def json_object(text_: str, name: str) -> dict[str, Any]:
    try:
        value = json.loads(text_)
    except ValueError as exc:
        raise BadInput(f"{name} is not valid JSON ({exc}); give an object such as {{}}") from None
    if not isinstance(value, dict):
        raise BadInput(f"{name} must be a JSON object, not {type(value).__name__}")
    return value


def templates() -> Jinja2Templates:
    found = Jinja2Templates(directory=TEMPLATES, context_processors=[_context])
    found.env.filters.update(when=when, local=local, ago=ago, capped=capped, pretty=pretty)
    found.env.globals["masked"] = masked
    return found


def render(request: Request, name: str, http_status: int = 200, **context: Any) -> Response:
    engine: Jinja2Templates = request.app.state.templates
    context.setdefault("notice", request.query_params.get("notice"))
    return engine.TemplateResponse(request, name, context, status_code=http_status)


def local_path(target: str | None, default: str) -> str:
    """Only a path on this site: never an absolute or protocol-relative URL."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def redirect(request: Request, target: str, notice: str) -> Response:
    """303 to ``target``, a path inside the dashboard, with a notice to show there."""
    sep = "&" if "?" in target else "?"
    url = f"{base(request)}{target}{sep}{urlencode({'notice': notice})}"
    return RedirectResponse(url, status_code=303)


def refused(request: Request, message: str, status: int = 400) -> Response:
    return render(request, "error.html", http_status=status, message=message)


async def act(
    request: Request,
    action: str,
    target: str,
    work: Callable[[AsyncSession], Awaitable[tuple[int, str]]],
    *,
    back: str,
) -> Response:
    """Run ``work`` (returning how many rows changed and a notice) with its audit row, in
    one transaction; bad input is a 400 page and leaves the database as it was."""
    try:
        async with web_session() as session:
            count, notice = await work(session)
            await audit.record(session, principal(request), action, target, count)
    except BadInput as exc:
        return refused(request, str(exc))
    form = await request.form()
    next_ = form.get("next")
    return redirect(request, local_path(next_ if isinstance(next_, str) else None, back), notice)
