"""The dashboard: an ASGI app (Starlette, Jinja2, htmx) served by ``pa-tasks web``.

``create_app(...)`` builds it, to serve alone or to mount in another ASGI server.
Importing this package loads no web framework: ``create_app`` imports it when called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from starlette.applications import Starlette


def create_app(*args: Any, **kwargs: Any) -> Starlette:
    from personal_assistant.web.app import create_app as build

    return build(*args, **kwargs)


__all__ = ["create_app"]
