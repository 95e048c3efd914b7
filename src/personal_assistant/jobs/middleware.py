"""Cross-cutting work around every job: the domains' job hooks, limits, timeout, metrics,
the result size cap and one log line.

This is procrastinate worker middleware, installed through the app's worker defaults,
so ``procrastinate ... worker`` and ``pa-tasks worker`` behave the same.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

from procrastinate import JobContext
from procrastinate.exceptions import JobAborted
from procrastinate.job_context import AbortReason
from procrastinate.middleware import AsyncCallNext
from procrastinate.worker import Worker

from personal_assistant.db.url import database_url
from personal_assistant.errors import AssistantError
from personal_assistant.jobs.declare import spec_of
from personal_assistant.jobs.hooks import job_hooks
from personal_assistant.jobs.limits import enforced
from personal_assistant.jobs.metrics import record_job
from personal_assistant.jobs.retry import RescheduleError
from personal_assistant.logs import log_fields

logger = logging.getLogger("personal_assistant.jobs")

RESULT_MAX_BYTES = 16_384


class JobTimeout(AssistantError):
    """The job ran past its timeout and was cancelled."""


def capped_result(result: Any) -> Any:
    """The result itself, or a marker when it is too large to keep."""
    encoded = json.dumps(result, default=str)
    if len(encoded) > RESULT_MAX_BYTES:
        return {"truncated": True, "bytes": len(encoded)}
    return json.loads(encoded)


async def job_middleware(call_next: AsyncCallNext, context: JobContext, worker: Worker) -> Any:
    job = context.job
    task = worker.app.tasks.get(job.task_name)
    spec = spec_of(task) if task else None
    timeout = spec.timeout if spec else None
    limits = spec.limits if spec else ()
    started = time.perf_counter()
    outcome = "succeeded"
    try:
        async with (
            job_hooks(context),  # outermost: they see the job's final outcome
            enforced(limits, job.task_kwargs, job.id, database_url()),
            asyncio.timeout(timeout) as deadline,
        ):
            result = await call_next()
    except RescheduleError:
        outcome = "deferred"
        raise
    except TimeoutError:
        if deadline.expired():
            outcome = "timeout"
            raise JobTimeout(f"{job.task_name} ran past its {timeout:g} s timeout") from None
        outcome = "failed"
        raise
    except asyncio.CancelledError:
        outcome = "aborted"
        if context.abort_reason() == AbortReason.USER_REQUEST:
            # procrastinate cancels an aborted async job's task; given the bare
            # CancelledError it asks the retry strategy, and its retry function then
            # ends the job "failed". JobAborted ends it "aborted", never retried.
            current = asyncio.current_task()
            if current is not None:
                current.uncancel()
            raise JobAborted(f"{job.task_name}[{job.id}] aborted on request") from None
        raise
    except JobAborted:
        outcome = "aborted"  # a blocking job saw should_abort() and stopped
        raise
    except BaseException:
        outcome = "failed"
        raise
    else:
        # The worker stores the result with the job's success (see workers/worker.py).
        return None if result is None else capped_result(result)
    finally:
        duration = time.perf_counter() - started
        record_job(job.task_name, job.queue, outcome, duration)
        logger.log(
            logging.WARNING if outcome in ("failed", "timeout") else logging.INFO,
            "job %s[%s] %s in %.3f s",
            job.task_name,
            job.id,
            outcome,
            duration,
            extra=log_fields(
                f"job_{outcome}",
                job_id=job.id,
                task=job.task_name,
                queue=job.queue,
                attempt=job.attempts + 1,
                duration_s=round(duration, 6),
                worker=context.worker_name,
            ),
        )
