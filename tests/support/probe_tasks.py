"""Tasks with known outcomes and durations, loaded by test workers through
PA_EXTRA_TASK_MODULES. They run on ``sync_tasks`` so that the periodic maintenance jobs
a worker defers never mix with them.
"""

from __future__ import annotations

import asyncio

from procrastinate import JobContext

from personal_assistant.jobs.declare import Domain, JSONResult, Payload
from personal_assistant.jobs.retry import NO_RETRY, RetryPolicy

domain = Domain(namespace="probe", queue="sync_tasks")

# Retry once, at once: the second attempt of ``flaky`` succeeds.
ONCE = RetryPolicy(name="probe-once", max_retries=1, base_delay=0.0, max_delay=0.0)


class Nap(Payload):
    seconds: float = 0.0


class Fail(Payload):
    message: str = "failing on purpose"


@domain.task(name="nap", payload=Nap, retry=NO_RETRY, timeout=30)
async def nap(context: JobContext, payload: Nap) -> JSONResult:
    """Sleep, then succeed."""
    await asyncio.sleep(payload.seconds)
    return {"slept": payload.seconds}


@domain.task(name="fail", payload=Fail, retry=NO_RETRY, timeout=30)
async def fail(context: JobContext, payload: Fail) -> JSONResult:
    """Fail every time."""
    raise RuntimeError(payload.message)


@domain.task(name="flaky", payload=Nap, retry=ONCE, timeout=30)
async def flaky(context: JobContext, payload: Nap) -> JSONResult:
    """Fail the first attempt, succeed the second."""
    if context.job.attempts == 0:
        raise RuntimeError("first attempt fails")
    await asyncio.sleep(payload.seconds)
    return {"attempt": context.job.attempts + 1}
