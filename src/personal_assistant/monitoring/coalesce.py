"""One probe at a time, its answer shared for a moment.

``/readyz`` and ``/metrics`` open a database connection to answer. Without a bound,
anyone who can reach the port opens as many connections as requests they send, and
exhausts the server's ``max_connections``. Requests that arrive while an answer is being
computed wait for it, and an answer is reused for ``ttl`` seconds: at most one
connection at a time, and at most one per ``ttl``, whatever the request rate.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")

ANSWER_TTL_SECONDS = 1.0


class Coalesced(Generic[T]):
    def __init__(self, compute: Callable[[], Awaitable[T]], ttl: float = ANSWER_TTL_SECONDS):
        self._compute = compute
        self._ttl = ttl
        # Per event loop: a process may run several over its life (tests, restarts).
        self._locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )
        self._answer: tuple[float, T] | None = None

    async def get(self) -> T:
        loop = asyncio.get_running_loop()
        lock = self._locks.setdefault(loop, asyncio.Lock())
        async with lock:
            if self._answer is not None and time.monotonic() - self._answer[0] < self._ttl:
                return self._answer[1]
            value = await self._compute()
            self._answer = (time.monotonic(), value)
            return value
