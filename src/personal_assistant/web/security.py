"""Who is asking, what they may do, and whether a POST really comes from our own page.

Credentials come from settings: ``PA_WEB_ADMIN_PASSWORD`` and
``PA_WEB_READONLY_PASSWORD``, given as an HTTP Basic password (any user name) or a
bearer token. With neither set, only loopback clients are let in, as admin: the server
refuses to listen elsewhere without credentials (see ``check_bind``). A host application
that mounts the dashboard passes its own ``auth`` hook instead.

A POST is accepted only when (1) the browser says it comes from this origin
(``Sec-Fetch-Site`` same-origin/none, or an ``Origin`` equal to the request's own), and
(2) it carries the CSRF token of the signed-in principal (form field ``csrf_token`` or
header ``X-CSRF-Token``). Both are checked before any handler runs, so a refused POST
changes nothing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from starlette.requests import Request

from personal_assistant.errors import ConfigError
from personal_assistant.settings import Settings

Role = Literal["admin", "readonly"]


@dataclass(frozen=True)
class Principal:
    name: str
    role: Role

    @property
    def can_act(self) -> bool:
        return self.role == "admin"


# A host app's hook: the principal for this request, or None to refuse it (401).
AuthHook = Callable[[Request], Awaitable[Principal | None]]


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def has_credentials(settings: Settings) -> bool:
    return bool(settings.web_admin_password or settings.web_readonly_password)


def check_bind(host: str, settings: Settings) -> None:
    """Listening beyond loopback without credentials would open an admin console."""
    if not is_loopback(host) and not has_credentials(settings):
        raise ConfigError(
            f"refusing to listen on {host} without credentials; set PA_WEB_ADMIN_PASSWORD "
            "(and PA_WEB_READONLY_PASSWORD for viewers), or bind 127.0.0.1"
        )


def _presented(request: Request) -> tuple[str, str] | None:
    """(user name, secret) from the Authorization header, if any."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value:
        return "token", value.strip()
    if scheme.lower() == "basic" and value:
        try:
            user, _, password = base64.b64decode(value, validate=True).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return None
        return user or "user", password
    return None


def _same(secret: str, expected: str) -> bool:
    return hmac.compare_digest(secret.encode(), expected.encode())


class SettingsAuth:
    """The built-in authentication from settings (see the module's docstring)."""

    def __init__(self, settings: Settings) -> None:
        self.admin = settings.web_admin_password
        self.readonly = settings.web_readonly_password

    async def __call__(self, request: Request) -> Principal | None:
        if self.admin is None and self.readonly is None:
            client = request.client.host if request.client else None
            return Principal("local", "admin") if is_loopback(client) else None
        presented = _presented(request)
        if presented is None:
            return None
        user, secret = presented
        if self.admin is not None and _same(secret, self.admin.get_secret_value()):
            return Principal(user, "admin")
        if self.readonly is not None and _same(secret, self.readonly.get_secret_value()):
            return Principal(user, "readonly")
        return None


class Csrf:
    """Tokens bound to the principal: HMAC(secret, role:name)."""

    def __init__(self, secret: str | None) -> None:
        self.key = (secret or secrets.token_urlsafe(32)).encode()

    def token(self, principal: Principal) -> str:
        message = f"{principal.role}:{principal.name}".encode()
        return hmac.new(self.key, message, hashlib.sha256).hexdigest()

    def valid(self, principal: Principal, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(self.token(principal), str(token))


def same_origin(request: Request) -> bool:
    """The browser's word that the request comes from this site (or is typed by a user)."""
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site in ("same-origin", "none")
    origin = request.headers.get("origin")
    if origin is None:
        # Neither header: not a browser cross-site request (browsers send one of them
        # on every cross-site POST); the token check still applies.
        return True
    host = request.headers.get("host", "")
    return origin in (f"http://{host}", f"https://{host}")
