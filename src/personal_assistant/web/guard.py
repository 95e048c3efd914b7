"""ASGI middleware in front of every route: authentication, role and CSRF checks.

It runs before any handler, so a refused request (401, 403) has touched nothing. The
POST body is read here (bounded) to find the form's token, then replayed to the app.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from personal_assistant.web.security import AuthHook, Csrf, Principal, same_origin

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
MAX_BODY = 256 * 1024
PUBLIC_PREFIX = "/static/"


class Guard:
    def __init__(self, app: ASGIApp, *, auth: AuthHook, csrf: Csrf) -> None:
        self.app = app
        self.auth = auth
        self.csrf = csrf

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or _local(scope).startswith(PUBLIC_PREFIX):
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        principal = await self.auth(request)
        if principal is None:
            await _refuse(401, "sign in: this dashboard needs a password or token")(
                scope, receive, send
            )
            return
        scope.setdefault("state", {})["principal"] = principal
        if scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        if body is None:
            await _refuse(413, "request body too large")(scope, receive, send)
            return
        refusal = self._refusal(request, principal, body)
        if refusal is not None:
            await _refuse(403, refusal)(scope, receive, send)
            return
        await self.app(scope, _replay(body), send)

    def _refusal(self, request: Request, principal: Principal, body: bytes) -> str | None:
        if not principal.can_act:
            return "read-only: this account can look but not change anything"
        if not same_origin(request):
            return "refused: this request did not come from the dashboard's own pages"
        token = request.headers.get("x-csrf-token")
        if token is None and request.headers.get("content-type", "").startswith(
            "application/x-www-form-urlencoded"
        ):
            token = _field(body, "csrf_token")
        if not self.csrf.valid(principal, token):
            return "refused: missing or wrong CSRF token; reload the page and try again"
        return None


def _local(scope: Scope) -> str:
    """The path inside the dashboard, wherever it is mounted."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


def _field(body: bytes, name: str) -> str | None:
    try:
        values = parse_qs(body.decode("utf-8"), max_num_fields=1000).get(name)
    except (UnicodeDecodeError, ValueError):
        return None
    return values[0] if values else None


async def _read_body(receive: Receive) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    return receive


def _refuse(status: int, message: str) -> Response:
    headers: dict[str, Any] = {}
    if status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="pa-tasks", charset="UTF-8"'
    return PlainTextResponse(message + "\n", status_code=status, headers=headers)
