"""Group-committed job endings for the product's worker.

procrastinate spends a round trip to end every job. Here an ending (success, failure or
retry) is written by whoever finishes first while no write is in flight, together with
every ending that arrived meanwhile (group commit): under load one statement covers many
jobs; when idle, each job is written at once, with no added latency. The claims that go
with it, many jobs per statement, are in ``jobs/fetch.py``.

The statement keeps procrastinate's semantics: the status trigger writes the same events
as its ``finish_job`` and ``retry_job`` functions, and a retry of a job whose abort was
requested fails it, as ``retry_job`` does. One difference: that failed job's
``abort_requested`` is cleared, as ``finish_job`` clears it for every ended job (``retry_job``
leaves it set). Aborts and deleted jobs take procrastinate's own path.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from procrastinate.connector import BaseConnector
from psycopg.types.json import Jsonb

from personal_assistant.jobs.failures import FailedAttempt
from personal_assistant.logs import log_fields

logger = logging.getLogger("personal_assistant.worker")

# One statement for many endings, as procrastinate_finish_job_v1 and
# procrastinate_retry_job_v2 would do one by one, but only while the job is still this
# worker's (a rescue may have taken it back). A failed attempt's error row is written
# whatever became of the job: the attempt did fail.
WRITE_ENDINGS = """
WITH ending AS (
    SELECT *
      FROM unnest(%(ids)s::bigint[], %(worker_ids)s::bigint[], %(task_names)s::varchar[],
                  %(outcomes)s::procrastinate_job_status[], %(results)s::jsonb[],
                  %(retry_at)s::timestamptz[], %(priorities)s::integer[],
                  %(queues)s::varchar[], %(locks)s::varchar[])
           AS ending(id, worker_id, task_name, outcome, result, retry_at, priority,
                     queue_name, lock)
), recorded AS (
    INSERT INTO job_results (job_id, task_name, result)
    SELECT id, task_name, result FROM ending WHERE result IS NOT NULL
    ON CONFLICT (job_id) DO UPDATE SET result = EXCLUDED.result, recorded_at = now()
), errors AS (
    INSERT INTO job_errors
           (job_id, attempt, task_name, queue, error_type, message, traceback, worker)
    SELECT *
      FROM unnest(%(error_job_ids)s::bigint[], %(error_attempts)s::integer[],
                  %(error_task_names)s::varchar[], %(error_queues)s::varchar[],
                  %(error_types)s::text[], %(error_messages)s::text[],
                  %(error_tracebacks)s::text[], %(error_workers)s::text[])
)
UPDATE procrastinate_jobs AS jobs
   SET status = CASE WHEN ending.outcome = 'todo' AND jobs.abort_requested
                     THEN 'failed' ELSE ending.outcome END,
       abort_requested = false,
       attempts = CASE WHEN ending.outcome = 'todo' AND jobs.abort_requested
                       THEN jobs.attempts ELSE jobs.attempts + 1 END,
       scheduled_at = CASE WHEN ending.outcome = 'todo' AND NOT jobs.abort_requested
                           THEN ending.retry_at ELSE jobs.scheduled_at END,
       priority = COALESCE(ending.priority, jobs.priority),
       queue_name = COALESCE(ending.queue_name, jobs.queue_name),
       lock = COALESCE(ending.lock, jobs.lock)
  FROM ending
 WHERE jobs.id = ending.id AND jobs.status = 'doing' AND jobs.worker_id = ending.worker_id
RETURNING jobs.id
"""

Outcome = Literal["succeeded", "failed", "todo"]


@dataclass(frozen=True)
class Retry:
    at: datetime | None  # None: due at once
    priority: int | None = None
    queue: str | None = None
    lock: str | None = None


@dataclass(frozen=True)
class Ending:
    """How one attempt ended: ``succeeded`` (with its result), ``failed``, or ``todo``
    again (a retry). ``error`` is the failed attempt's row for ``job_errors``, if any."""

    job_id: int
    worker_id: int
    task_name: str
    queue: str
    attempt: int
    outcome: Outcome
    result: Any = None
    retry: Retry | None = None
    error: FailedAttempt | None = None
    worker_name: str | None = None


def _parameters(endings: list[Ending]) -> dict[str, list[Any]]:
    failed = [e for e in endings if e.error is not None]
    return {
        "ids": [e.job_id for e in endings],
        "worker_ids": [e.worker_id for e in endings],
        "task_names": [e.task_name for e in endings],
        "outcomes": [e.outcome for e in endings],
        "results": [None if e.result is None else Jsonb(e.result) for e in endings],
        "retry_at": [e.retry.at if e.retry else None for e in endings],
        "priorities": [e.retry.priority if e.retry else None for e in endings],
        "queues": [e.retry.queue if e.retry else None for e in endings],
        "locks": [e.retry.lock if e.retry else None for e in endings],
        "error_job_ids": [e.job_id for e in failed],
        "error_attempts": [e.attempt for e in failed],
        "error_task_names": [e.task_name for e in failed],
        "error_queues": [e.queue for e in failed],
        "error_types": [e.error.error_type for e in failed if e.error],
        "error_messages": [e.error.message for e in failed if e.error],
        "error_tracebacks": [e.error.traceback for e in failed if e.error],
        "error_workers": [e.worker_name for e in failed],
    }


class EndingWriter:
    """Writes endings in groups: no timer, no background task.

    The first caller while nothing is in flight becomes the writer: it writes its own
    ending and every one queued while its statement ran, until none is left. The others
    wait for their write. A failed statement fails every caller in its group, as a
    failed ``finish_job`` would have failed each of them. With ``max_batch`` of one (a
    worker that ends its jobs one by one) there is no group: each ending is written at
    once, in its own statement.
    """

    def __init__(self, connector: BaseConnector, max_batch: int) -> None:
        self._connector = connector
        self._max_batch = max_batch
        self._queued: list[tuple[Ending, asyncio.Future[None]]] = []
        self._writing = False

    async def write(self, ending: Ending) -> None:
        if self._max_batch <= 1:
            self._report_unwritten([ending], await self._execute([ending]))
            return
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queued.append((ending, done))
        if not self._writing:
            self._writing = True
            try:
                while self._queued:
                    group = self._queued[: self._max_batch]
                    del self._queued[: self._max_batch]
                    await self._write_group(group)
            except BaseException as error:
                # Nobody else will write what is still queued: its callers must not wait.
                for _, waiting in self._queued:
                    waiting.set_exception(error)
                self._queued.clear()
                raise
            finally:
                self._writing = False
        await done

    async def _execute(self, endings: list[Ending]) -> set[int]:
        rows = await self._connector.execute_query_all_async(WRITE_ENDINGS, **_parameters(endings))
        return {row["id"] for row in rows}

    async def _write_group(self, group: list[tuple[Ending, asyncio.Future[None]]]) -> None:
        endings = [ending for ending, _ in group]
        try:
            written = await self._execute(endings)
        except BaseException as error:
            for _, done in group:
                if not done.done():
                    done.set_exception(error)
            if not isinstance(error, Exception):
                raise
            return
        self._report_unwritten(endings, written)
        for _, done in group:
            if not done.done():
                done.set_result(None)

    @staticmethod
    def _report_unwritten(endings: list[Ending], written: set[int]) -> None:
        for ending in endings:
            if ending.job_id not in written:
                # Rescued meanwhile (this worker was taken for dead): the rescue owns it.
                logger.warning(
                    "job %s was no longer running when its end (%s) was written",
                    ending.job_id,
                    ending.outcome,
                    extra=log_fields(
                        "job_end_not_written", job_id=ending.job_id, outcome=ending.outcome
                    ),
                )
