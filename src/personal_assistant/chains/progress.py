"""Move a chain on when a step's job ends.

On success, the step is recorded and the next step deferred in ONE transaction, before
procrastinate marks the job succeeded. If the worker dies between that commit and
procrastinate's, the job is rescued and runs again (jobs are idempotent); its success
then finds the step already recorded, under the same row locks, and defers nothing.
The primary key (chain_id, step) of ``job_chain_steps`` makes a second deferral of a
step impossible even if that check were bypassed.

A final failure (no retry left, a permanent error, a user abort) stops the chain. So
does a current job that ended out of the worker's sight (cancelled while waiting,
failed by the stalled-job rescue): ``reconcile_chains`` settles those. A failed step
whose job is retried by hand and succeeds resumes its chain.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from personal_assistant.chains.marker import step_lock
from personal_assistant.chains.report import report_failure
from personal_assistant.errors import BadInput
from personal_assistant.jobs.app import get_app
from personal_assistant.jobs.enqueue import JobOptions, defer
from personal_assistant.logs import log_fields

logger = logging.getLogger("personal_assistant.chains")

LOCK_STEP = text(
    """
    SELECT link.chain_id, link.step, link.status AS step_status, chain.steps
      FROM job_chain_steps link
      JOIN job_chains chain ON chain.id = link.chain_id
     WHERE link.job_id = :job_id
       FOR UPDATE OF chain, link
    """
)
STEP_DONE = text(
    """
    UPDATE job_chain_steps SET status = :status, error = :error, finished_at = now()
     WHERE chain_id = :chain_id AND step = :step
    """
)
LINK_STEP = text(
    """
    INSERT INTO job_chain_steps (chain_id, step, job_id, status)
    VALUES (:chain_id, :step, :job_id, 'running')
    """
)
CHAIN_AT = text(
    """
    UPDATE job_chains
       SET current_step = :step, status = 'running', error = NULL, updated_at = now()
     WHERE id = :chain_id
    """
)
CHAIN_DONE = text(
    """
    UPDATE job_chains
       SET current_step = :step, status = :status, error = :error,
           finished_at = now(), updated_at = now()
     WHERE id = :chain_id
    """
)
# Running chains whose current job has ended without its end being recorded here.
UNSETTLED = text(
    """
    SELECT link.job_id, job.status::text AS job_status
      FROM job_chains chain
      JOIN job_chain_steps link ON link.chain_id = chain.id AND link.step = chain.current_step
      LEFT JOIN procrastinate_jobs job ON job.id = link.job_id
     WHERE chain.status = 'running' AND link.status = 'running'
       AND (job.id IS NULL OR job.status IN ('succeeded', 'failed', 'cancelled', 'aborted'))
     ORDER BY chain.id
       FOR UPDATE OF chain SKIP LOCKED
    """
)


def _task(name: str) -> Any:
    task = get_app().tasks.get(name)
    if task is None:
        raise BadInput(f"task {name!r} is no longer registered")
    return task


async def record_success(session: AsyncSession, job_id: int) -> bool:
    """Record the step run by ``job_id`` and defer the next one; False if not a chain step."""
    row = (await session.execute(LOCK_STEP, {"job_id": job_id})).first()
    if row is None:
        return False
    if row.step_status == "succeeded":
        return True  # a rerun of a job whose success was already recorded
    chain_id, step, steps = row.chain_id, row.step, row.steps
    await session.execute(
        STEP_DONE, {"chain_id": chain_id, "step": step, "status": "succeeded", "error": None}
    )
    following = step + 1
    if following == len(steps):
        await session.execute(
            CHAIN_DONE, {"chain_id": chain_id, "step": step, "status": "succeeded", "error": None}
        )
        logger.info(
            "chain %s succeeded",
            chain_id,
            extra=log_fields("chain_succeeded", chain_id=chain_id, job_id=job_id),
        )
        return True
    task_name, args = steps[following]["task"], steps[following]["args"]
    try:
        next_job = await defer(
            session,
            _task(task_name),
            args,
            JobOptions(queueing_lock=step_lock(chain_id, following)),
        )
    except BadInput as exc:  # the task's payload model changed since the chain started
        error = f"step {following + 1}/{len(steps)} ({task_name}) could not be deferred: {exc}"
        await _fail_chain(session, chain_id, following, error)
        return True
    await session.execute(LINK_STEP, {"chain_id": chain_id, "step": following, "job_id": next_job})
    await session.execute(CHAIN_AT, {"chain_id": chain_id, "step": following})
    logger.info(
        "chain %s: step %d done, step %d deferred as job %s",
        chain_id,
        step + 1,
        following + 1,
        next_job,
        extra=log_fields("chain_advanced", chain_id=chain_id, job_id=next_job),
    )
    return True


async def record_failure(session: AsyncSession, job_id: int, error: str) -> bool:
    """Stop the chain whose current step ``job_id`` ran; False if not a chain step."""
    row = (await session.execute(LOCK_STEP, {"job_id": job_id})).first()
    if row is None:
        return False
    if row.step_status != "running":
        return True  # already recorded
    chain_id, step, steps = row.chain_id, row.step, row.steps
    await session.execute(
        STEP_DONE, {"chain_id": chain_id, "step": step, "status": "failed", "error": error}
    )
    task_name = steps[step]["task"]
    summary = f"step {step + 1}/{len(steps)} ({task_name}, job {job_id}) failed: {error}"
    await _fail_chain(session, chain_id, step, summary)
    return True


async def _fail_chain(session: AsyncSession, chain_id: int, step: int, error: str) -> None:
    await session.execute(
        CHAIN_DONE, {"chain_id": chain_id, "step": step, "status": "failed", "error": error}
    )
    await report_failure(session, chain_id, error)


@dataclass(frozen=True)
class ReconcileReport:
    advanced: list[int]
    failed: list[int]

    def as_json(self) -> dict[str, list[int]]:
        return {"advanced": self.advanced, "failed": self.failed}


async def reconcile_chains(session: AsyncSession) -> ReconcileReport:
    advanced: list[int] = []
    failed: list[int] = []
    for job_id, job_status in (await session.execute(UNSETTLED)).all():
        if job_status == "succeeded":
            await record_success(session, job_id)
            advanced.append(job_id)
        else:
            ended = f"its job ended {job_status}" if job_status else "its job no longer exists"
            await record_failure(session, job_id, ended)
            failed.append(job_id)
    return ReconcileReport(advanced=advanced, failed=failed)
