"""``/live``: server-sent events telling pages that jobs moved.

The stream sends ``change`` whenever procrastinate's event log grew (every status change
writes an event), checked once a second on an indexed ``max(id)``, and a comment every
15 s to keep proxies from closing it. Pages re-fetch their live parts on ``change``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from personal_assistant.web.db import web_session

MARK = text(
    "SELECT coalesce((SELECT max(id) FROM procrastinate_events), 0)"
    " + coalesce((SELECT max(id) FROM web_audit), 0)"
)
PERIOD = 1.0
KEEPALIVE_EVERY = 15


async def _mark() -> int | None:
    try:
        async with web_session() as session:
            return int((await session.execute(MARK)).scalar_one())
    except (DBAPIError, OSError):
        return None


async def _events(request: Request) -> AsyncIterator[str]:
    last = await _mark()
    yield "retry: 3000\n\n"
    quiet = 0
    while not await request.is_disconnected():
        await asyncio.sleep(PERIOD)
        mark = await _mark()
        if mark is not None and mark != last:
            last, quiet = mark, 0
            yield f"event: change\ndata: {mark}\n\n"
        else:
            quiet += 1
            if quiet >= KEEPALIVE_EVERY:
                quiet = 0
                yield ": keep-alive\n\n"


async def live(request: Request) -> Response:
    return StreamingResponse(
        _events(request),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


routes = [Route("/live", live)]
