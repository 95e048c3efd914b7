"""Maintenance of the queue itself, on ``maintenance_tasks``."""

from __future__ import annotations

import asyncio

from procrastinate import JobContext
from pydantic import Field
from sqlalchemy import text

from personal_assistant.db.session import session_scope
from personal_assistant.jobs.declare import Domain, JSONResult, Payload, Tick
from personal_assistant.jobs.rescue import rescue_stalled_jobs
from personal_assistant.jobs.retention import prune_finished_jobs
from personal_assistant.jobs.retry import MAINTENANCE, NO_RETRY
from personal_assistant.settings import get_settings

domain = Domain(namespace="maintenance", queue="maintenance_tasks")

RECORD_PING = text(
    """
    INSERT INTO ping_records (job_id, message, worker) VALUES (:job_id, :message, :worker)
    ON CONFLICT (job_id) DO NOTHING
    """
)


class PingPayload(Payload):
    message: str = Field(default="", max_length=500)
    delay_seconds: float = Field(default=0.0, ge=0, le=3600)


@domain.task(name="ping", payload=PingPayload, retry=MAINTENANCE, timeout=3700)
async def ping(context: JobContext, payload: PingPayload) -> JSONResult:
    """Record that a job went all the way through a worker; smoke and health checks."""
    if payload.delay_seconds:
        await asyncio.sleep(payload.delay_seconds)
    async with session_scope() as session:
        inserted = await session.execute(
            RECORD_PING,
            {"job_id": context.job.id, "message": payload.message, "worker": context.worker_name},
        )
    return {"pong": payload.message, "recorded": bool(inserted.rowcount)}  # type: ignore[attr-defined]


@domain.task(name="rescue_stalled_jobs", payload=Tick, retry=NO_RETRY, periodic="* * * * *")
async def rescue_stalled(context: JobContext, payload: Tick) -> JSONResult:
    """Put jobs of workers that stopped heartbeating back to todo."""
    settings = get_settings()
    async with session_scope() as session:
        report = await rescue_stalled_jobs(
            session,
            stalled_after=settings.stalled_after_seconds,
            max_attempts=settings.rescue_max_attempts,
        )
    return report.as_json()


@domain.task(name="prune_finished_jobs", payload=Tick, retry=MAINTENANCE, periodic="17 * * * *")
async def prune_finished(context: JobContext, payload: Tick) -> JSONResult:
    """Delete finished jobs past retention; failed ones are kept longer."""
    settings = get_settings()
    async with session_scope() as session:
        report = await prune_finished_jobs(
            session,
            succeeded_hours=settings.succeeded_retention_hours,
            failed_hours=settings.failed_retention_hours,
        )
    return {"deleted": report.deleted}
