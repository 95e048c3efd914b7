"""Chains in the worker: the job hook that records each step's end, and the periodic
reconcile of chains whose job ended unseen, on ``maintenance_tasks``.

The reconcile keeps the task name it has always had, ``general:reconcile_chains``, so
the jobs and periodic defers already stored under it still run.
"""

from __future__ import annotations

from procrastinate import JobContext

from personal_assistant.chains.hooks import chain_step
from personal_assistant.chains.progress import reconcile_chains
from personal_assistant.db.session import session_scope
from personal_assistant.jobs.declare import Domain, JSONResult, Tick
from personal_assistant.jobs.hooks import register_job_hook
from personal_assistant.jobs.retry import NO_RETRY

domain = Domain(namespace="general", queue="maintenance_tasks")

register_job_hook(chain_step)


@domain.task(
    name="reconcile_chains",
    payload=Tick,
    retry=NO_RETRY,  # the next run is 5 minutes away
    timeout=120,
    periodic="*/5 * * * *",
)
async def reconcile_chains_task(context: JobContext, payload: Tick) -> JSONResult:
    """Settle chains whose current job ended without the worker seeing it (cancelled, rescued)."""
    async with session_scope() as session:
        report = await reconcile_chains(session)
    return report.as_json()
