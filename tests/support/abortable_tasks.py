"""Tasks for tests of aborts and recorded errors, loaded by workers through
PA_EXTRA_TASK_MODULES.

Each writes a ``ping_records`` row only after its wait: a row means the side effect
happened, so an aborted job must never leave one.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import psycopg
from procrastinate import JobContext
from procrastinate.exceptions import JobAborted

from personal_assistant.db.url import database_url
from personal_assistant.jobs.declare import Domain, JSONResult, Payload
from personal_assistant.jobs.retry import NO_RETRY, RetryPolicy
from personal_assistant.settings import get_settings

domain = Domain(namespace="abortable", queue="maintenance_tasks")

INSERT = "INSERT INTO ping_records (job_id, message, worker) VALUES (%s, %s, %s)"
CHECK_EVERY_SECONDS = 0.05
# One quick retry, so a test sees two failed attempts in well under a second.
ONE_QUICK_RETRY = RetryPolicy(
    name="one-quick-retry", max_retries=1, base_delay=0.01, max_delay=0.01
)


class Wait(Payload):
    seconds: float
    message: str


@domain.task(name="wait_then_write", payload=Wait, retry=NO_RETRY, timeout=120)
async def wait_then_write(context: JobContext, payload: Wait) -> JSONResult:
    """Wait (awaiting, so an abort cancels it), then write a row."""
    await asyncio.sleep(payload.seconds)
    async with await psycopg.AsyncConnection.connect(database_url(), autocommit=True) as conn:
        await conn.execute(INSERT, (context.job.id, payload.message, context.worker_name))
    return {"written": payload.message}


@domain.blueprint.task(name="block_then_write", queue=domain.queue, pass_context=True)
def block_then_write(context: JobContext, seconds: float, message: str) -> dict[str, Any]:
    """Block its thread, checking for an abort between steps, then write a row."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if context.should_abort():
            raise JobAborted(f"stopped before writing {message!r}")
        time.sleep(CHECK_EVERY_SECONDS)
    with psycopg.connect(database_url(), autocommit=True) as conn:
        conn.execute(INSERT, (context.job.id, message, context.worker_name))
    return {"written": message}


class Leak(Payload):
    note: str = ""


@domain.task(name="fail_quoting_secrets", payload=Leak, retry=ONE_QUICK_RETRY, timeout=30)
async def fail_quoting_secrets(context: JobContext, payload: Leak) -> JSONResult:
    """Fail with a message that quotes every configured secret, as careless libraries do."""
    settings = get_settings()
    token = settings.notion_token.get_secret_value() if settings.notion_token else "-"
    raise RuntimeError(f"attempt {context.job.attempts + 1}: token {token} refused; {payload.note}")
