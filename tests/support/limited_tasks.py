"""Tasks for tests of limits and timeouts, loaded by workers through PA_EXTRA_TASK_MODULES."""

from __future__ import annotations

import asyncio
import time

from procrastinate import JobContext

from personal_assistant.jobs.declare import Domain, JSONResult, Payload
from personal_assistant.jobs.limits import ConcurrencyLimit, RateLimit
from personal_assistant.jobs.retry import DEFAULT, NO_RETRY

domain = Domain(namespace="limited", queue="maintenance_tasks")


class Hold(Payload):
    key: str
    seconds: float


@domain.task(name="hold", payload=Hold, retry=DEFAULT, limits=(ConcurrencyLimit("hold:{key}", 2),))
async def hold(context: JobContext, payload: Hold) -> JSONResult:
    """Occupy a slot of its key for a while and report when."""
    start = time.time()
    await asyncio.sleep(payload.seconds)
    return {"start": start, "end": time.time(), "worker": context.worker_name}


class Tick(Payload):
    key: str


@domain.task(
    name="tick", payload=Tick, retry=DEFAULT, limits=(RateLimit("tick:{key}", 3, per_seconds=2),)
)
async def tick(context: JobContext, payload: Tick) -> JSONResult:
    """Start, under a rate limit, and report when."""
    return {"start": time.time()}


class Sleep(Payload):
    seconds: float


@domain.task(name="sleep_past_timeout", payload=Sleep, retry=NO_RETRY, timeout=1.0)
async def sleep_past_timeout(context: JobContext, payload: Sleep) -> JSONResult:
    """Sleep, usually longer than the task's 1 s timeout allows."""
    await asyncio.sleep(payload.seconds)
    return {"slept": payload.seconds}
