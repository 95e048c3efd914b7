"""What the job page shows beyond ``jobs.inspect.get_job`` (the job, its events, result
and failed attempts): its worker, who holds its lock, and what in the product it
belongs to."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

WORKER = text(
    """
    SELECT id, EXTRACT(EPOCH FROM now() - last_heartbeat)::float8 AS age
      FROM procrastinate_workers WHERE id = :id
    """
)
LOCK_HOLDER = text(
    "SELECT id FROM procrastinate_jobs WHERE lock = :lock AND status = 'doing' AND id <> :id"
)
AI_RUN = text(
    """
    SELECT r.task_id, r.id AS run_id, t.title FROM ai_task_runs r
      JOIN ai_tasks t ON t.id = r.task_id WHERE r.job_id = :id
    UNION ALL
    SELECT t.id, NULL, t.title FROM ai_tasks t WHERE t.pending_job_id = :id
    LIMIT 1
    """
)
CHAIN_STEP = text("SELECT chain_id, step FROM job_chain_steps WHERE job_id = :id")
SCHEDULE = text(
    """
    SELECT s.name, f.fire_at FROM schedule_fires f JOIN schedules s ON s.id = f.schedule_id
     WHERE f.job_id = :id
    """
)
EMAIL = text("SELECT id, subject, status FROM email_outbox WHERE id = :outbox_id")


@dataclass
class Related:
    worker: Any = None
    lock_holder: int | None = None
    ai: Any = None
    chain: Any = None
    schedule: Any = None
    email: Any = None


async def related(session: AsyncSession, job: Any) -> Related:
    found = Related()
    if job.worker_id is not None:
        found.worker = (await session.execute(WORKER, {"id": job.worker_id})).first()
    if job.lock:
        holder = await session.execute(LOCK_HOLDER, {"lock": job.lock, "id": job.id})
        found.lock_holder = holder.scalar_one_or_none()
    found.ai = (await session.execute(AI_RUN, {"id": job.id})).first()
    found.chain = (await session.execute(CHAIN_STEP, {"id": job.id})).first()
    found.schedule = (await session.execute(SCHEDULE, {"id": job.id})).first()
    if job.lock and job.lock.startswith("email:") and job.lock[6:].isdigit():
        found.email = (await session.execute(EMAIL, {"outbox_id": int(job.lock[6:])})).first()
    return found
