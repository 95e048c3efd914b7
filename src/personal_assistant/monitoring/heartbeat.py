"""Scheduler heartbeats: proof that deferral, a worker and the database work end to end.

A periodic job writes one row each time it runs; the age of the newest row is how long
ago that whole path last worked.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

RECORD = text(
    """
    INSERT INTO scheduler_heartbeats (job_id, deferred_at, worker)
    VALUES (:job_id, :deferred_at, :worker)
    ON CONFLICT (job_id) DO NOTHING
    """
)
LATEST = text("SELECT max(ran_at) FROM scheduler_heartbeats")


async def record_heartbeat(
    session: AsyncSession, *, job_id: int, deferred_at: datetime, worker: str | None
) -> bool:
    """Write the heartbeat of job ``job_id``; False if it was already written (a rerun)."""
    result = await session.execute(
        RECORD, {"job_id": job_id, "deferred_at": deferred_at, "worker": worker}
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def latest_heartbeat(session: AsyncSession) -> datetime | None:
    """When a heartbeat job last ran, or None if none ever did."""
    latest: datetime | None = (await session.execute(LATEST)).scalar_one()
    return latest
