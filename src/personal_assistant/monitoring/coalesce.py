"""One probe at a time, its answer shared.

``/readyz`` and ``/metrics`` open a database connection to answer. Without a bound,
anyone who can reach the port opens as many connections as requests they send, and
exhausts the server's ``max_connections``. Requests that arrive while an answer is being
computed share it (one connection in flight at most), and an answer may be reused for
``ttl`` seconds after it was computed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Coalesced(Generic[T]):
    def __init__(self, compute: Callable[[], Awaitable[T]], ttl: float = 0.0):
        self._compute = compute
        self._ttl = ttl
        self._answer: tuple[float, T] | None = None
        self._flight: asyncio.Future[T] | None = None

    async def get(self) -> T:
        if self._answer is not None and time.monotonic() - self._answer[0] < self._ttl:
            return self._answer[1]
        flight = self._flight
        # A flight belongs to its event loop: a process may run several over its life.
        if flight is None or flight.done() or flight.get_loop() is not asyncio.get_running_loop():
            flight = self._flight = asyncio.ensure_future(self._fly())
        # A waiter that gives up (client gone) does not cancel the others' answer.
        return await asyncio.shield(flight)

    async def _fly(self) -> T:
        value = await self._compute()
        self._answer = (time.monotonic(), value)
        return value
