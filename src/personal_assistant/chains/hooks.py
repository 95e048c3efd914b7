"""The worker's side of chains: after each job, record a chain step's end.

``chain_step`` wraps every job in the worker middleware, outside the job's timeout, so
it sees the exception procrastinate's retry strategy will see. Only a job whose queueing
lock marks it as a step (``chains/marker.py``) costs a lookup; others cost nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from procrastinate import JobContext
from procrastinate.exceptions import JobAborted
from procrastinate.job_context import AbortReason

from personal_assistant.chains.marker import is_marked
from personal_assistant.chains.progress import record_failure, record_success
from personal_assistant.db.session import session_scope
from personal_assistant.errors import AssistantError
from personal_assistant.jobs.retry import RescheduleError
from personal_assistant.logs import log_fields

logger = logging.getLogger("personal_assistant.chains")

IS_CHAIN_STEP = "SELECT EXISTS (SELECT 1 FROM job_chain_steps WHERE job_id = %(job_id)s) AS linked"
ERROR_MAX_CHARS = 1000


@asynccontextmanager
async def chain_step(context: JobContext) -> AsyncIterator[None]:
    try:
        yield
    except RescheduleError:
        raise  # comes back later: not an end
    except BaseException as exc:
        if _is_final(context, exc):
            await _record_failure(context, exc)
        raise
    else:
        if await _is_chain_step(context):
            async with session_scope() as session:
                await record_success(session, _job_id(context))


async def _record_failure(context: JobContext, exc: BaseException) -> None:
    # The job's own error must reach procrastinate unchanged: if the chain cannot be
    # updated now (database gone), the periodic reconcile settles it from the job status.
    try:
        if await _is_chain_step(context):
            async with session_scope() as session:
                await record_failure(session, _job_id(context), describe(exc))
    except Exception:
        logger.warning(
            "could not record the failure of chain step job %s",
            context.job.id,
            exc_info=True,
            extra=log_fields("chain_record_failed", job_id=context.job.id),
        )


def _job_id(context: JobContext) -> int:
    assert context.job.id is not None
    return context.job.id


async def _is_chain_step(context: JobContext) -> bool:
    if not is_marked(context.job.queueing_lock):
        return False
    row = await context.app.connector.execute_query_one_async(
        IS_CHAIN_STEP, job_id=_job_id(context)
    )
    return bool(row["linked"])


def _is_final(context: JobContext, exc: BaseException) -> bool:
    """Whether procrastinate will end the job for good with this exception."""
    if isinstance(exc, asyncio.CancelledError | JobAborted):
        # A shutdown puts the job back; a user's abort ends it.
        return bool(context.abort_reason() == AbortReason.USER_REQUEST)
    task = context.app.tasks.get(context.job.task_name)
    if task is None or not isinstance(exc, Exception):
        return True
    return task.get_retry_exception(exception=exc, job=context.job) is None


def describe(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError) and not str(exc):
        text = "ran past its timeout"
    elif isinstance(exc, AssistantError):
        text = str(exc)
    else:
        text = f"{type(exc).__name__}: {exc}".rstrip(": ")
    return text[:ERROR_MAX_CHARS]
