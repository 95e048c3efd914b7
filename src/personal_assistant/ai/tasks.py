"""AI task runs and their reconciler, on ``ai_tasks``."""

from __future__ import annotations

from procrastinate import JobContext
from pydantic import AwareDatetime, Field

from personal_assistant.ai.execute import execute_run
from personal_assistant.ai.reconcile import reconcile_due_tasks
from personal_assistant.db.session import session_scope
from personal_assistant.jobs.declare import Domain, JSONResult, Payload, Tick
from personal_assistant.jobs.retry import LLM, NO_RETRY
from personal_assistant.settings import get_settings

domain = Domain(namespace="ai", queue="ai_tasks")

# Beyond the agent's own PA_AI_RUN_TIMEOUT_SECONDS, time to record the outcome.
BOOKKEEPING_SECONDS = 30.0


class RunPayload(Payload):
    task_id: int = Field(gt=0)
    scheduled_for: AwareDatetime


@domain.task(
    name="run_ai_task",
    payload=RunPayload,
    retry=LLM,
    timeout=get_settings().ai_run_timeout_seconds + BOOKKEEPING_SECONDS,
)
async def run_ai_task(context: JobContext, payload: RunPayload) -> JSONResult:
    """Run one scheduled time of an AI task, once, and defer its next run."""
    attempts = context.job.attempts
    assert context.job.id is not None
    return await execute_run(
        payload.task_id,
        payload.scheduled_for,
        context.job.id,
        will_retry=lambda exc: LLM.should_retry(exc, attempts),
    )


@domain.task(
    name="process_due_ai_tasks",
    payload=Tick,
    retry=NO_RETRY,
    timeout=120,
    periodic="* * * * *",
)
async def process_due_ai_tasks(context: JobContext, payload: Tick) -> JSONResult:
    """Re-defer the run of every due AI task whose job was lost."""
    async with session_scope() as session:
        report = await reconcile_due_tasks(session)
    return report.as_json()
