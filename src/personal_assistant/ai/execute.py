"""Execute one run of an AI task: claim it, let the agent work, record the outcome.

The agent and its tools work in one transaction that also records the run's success,
defers the next run and notifies the user: a run that fails, times out or dies with its
worker leaves none of its writes behind, and its next attempt starts clean.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from personal_assistant.ai.agent import Agent, AgentResult
from personal_assistant.ai.llm import agent_from_settings
from personal_assistant.ai.mcp_tools import offered_tools
from personal_assistant.ai.models import AITask
from personal_assistant.ai.runs import Superseded, claim_run, finish_failure, finish_success
from personal_assistant.ai.tools import Toolbox, ToolContext, load_tools
from personal_assistant.db.session import session_scope
from personal_assistant.jobs.retry import PermanentError, RescheduleError
from personal_assistant.logs import log_fields
from personal_assistant.settings import get_settings

logger = logging.getLogger("personal_assistant.ai")


class RunTimedOut(PermanentError):
    """The run took longer than PA_AI_RUN_TIMEOUT_SECONDS."""


async def execute_run(
    task_id: int,
    scheduled_for: datetime,
    job_id: int,
    *,
    will_retry: Callable[[BaseException], bool],
    agent: Agent | None = None,
) -> dict[str, Any]:
    """Run the task's scheduled time once; ``will_retry`` says if a failure comes back."""
    async with session_scope() as session:
        claim = await claim_run(session, task_id, scheduled_for, job_id)
    if claim.run is None:
        return _skipped(task_id, scheduled_for, job_id, claim.reason)
    try:
        async with session_scope() as session:
            task = await session.get(AITask, task_id)
            if task is None:
                raise Superseded("the task was deleted")
            toolbox = Toolbox(
                load_tools(),
                ToolContext(session, task, datetime.now(UTC)),
                # The offline agent calls no tool: no server is started for it.
                mcp=await offered_tools(list(task.mcp_tools or []))
                if get_settings().llm_base_url or agent is not None
                else {},
            )
            result = await _run_agent(agent or agent_from_settings(), task, toolbox)
            return await finish_success(session, task_id, scheduled_for, job_id, result)
    except Superseded as exc:
        return _skipped(task_id, scheduled_for, job_id, str(exc))
    except Exception as exc:
        comes_back = isinstance(exc, RescheduleError) or (
            not isinstance(exc, PermanentError) and will_retry(exc)
        )
        async with session_scope() as session:
            await finish_failure(
                session, task_id, scheduled_for, job_id, _describe(exc), final=not comes_back
            )
        raise


async def _run_agent(agent: Agent, task: AITask, toolbox: Toolbox) -> AgentResult:
    timeout = get_settings().ai_run_timeout_seconds
    try:
        async with asyncio.timeout(timeout) as deadline:
            return await agent.run(task, toolbox)
    except TimeoutError:
        if deadline.expired():
            raise RunTimedOut(
                f"the run took longer than {timeout:g} s (PA_AI_RUN_TIMEOUT_SECONDS)"
            ) from None
        raise


def _describe(exc: BaseException) -> str:
    text = str(exc).strip()
    return text if text else type(exc).__name__


def _skipped(task_id: int, scheduled_for: datetime, job_id: int, reason: str) -> dict[str, Any]:
    logger.info(
        "AI task %s run for %s skipped: %s",
        task_id,
        scheduled_for.isoformat(),
        reason,
        extra=log_fields(
            "ai_run_skipped",
            ai_task_id=task_id,
            job_id=job_id,
            scheduled_for=scheduled_for.isoformat(),
            reason=reason,
        ),
    )
    return {"status": "skipped", "reason": reason}
