"""Group-committed successes for the product's worker.

procrastinate spends a round trip to finish every job. Here a success is written by
whoever finishes first while no write is in flight, together with every success that
arrived meanwhile (group commit): under load one statement covers many jobs; when idle,
each job is written at once, with no added latency. The claims that go with it, many
jobs per statement, are in ``jobs/fetch.py``.

The statement keeps procrastinate's semantics: the status trigger writes the same
``succeeded`` events as its finish function. Only plain successes are grouped; failures,
retries and aborts take the one-by-one path.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from procrastinate.connector import BaseConnector
from psycopg.types.json import Jsonb

from personal_assistant.logs import log_fields

logger = logging.getLogger("personal_assistant.worker")

# One statement for many successes: results recorded, jobs marked succeeded (the status
# trigger writes each 'succeeded' event), as procrastinate_finish_job_v1 does one by one;
# but only while the job is still this worker's (a rescue may have taken it back).
FINISH_SUCCEEDED = """
WITH done AS (
    SELECT *
      FROM unnest(%(ids)s::bigint[], %(worker_ids)s::bigint[], %(task_names)s::varchar[],
                  %(results)s::jsonb[]) AS done(id, worker_id, task_name, result)
), recorded AS (
    INSERT INTO job_results (job_id, task_name, result)
    SELECT id, task_name, result FROM done WHERE result IS NOT NULL
    ON CONFLICT (job_id) DO UPDATE SET result = EXCLUDED.result, recorded_at = now()
)
UPDATE procrastinate_jobs AS jobs
   SET status = 'succeeded', abort_requested = false, attempts = jobs.attempts + 1
  FROM done
 WHERE jobs.id = done.id AND jobs.status = 'doing' AND jobs.worker_id = done.worker_id
RETURNING jobs.id
"""


@dataclass(frozen=True)
class Success:
    job_id: int
    worker_id: int
    task_name: str
    result: Any


class SuccessWriter:
    """Writes successes in groups: no timer, no background task.

    The first caller while nothing is in flight becomes the writer: it writes its own
    success and every one queued while its statement ran, until none is left. The
    others wait for their write. A failed statement fails every caller in its group,
    as a failed ``finish_job`` would have failed each of them.
    """

    def __init__(self, connector: BaseConnector, max_batch: int) -> None:
        self._connector = connector
        self._max_batch = max_batch
        self._queued: list[tuple[Success, asyncio.Future[None]]] = []
        self._writing = False

    async def write(self, success: Success) -> None:
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queued.append((success, done))
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

    async def _write_group(self, group: list[tuple[Success, asyncio.Future[None]]]) -> None:
        successes = [success for success, _ in group]
        try:
            rows = await self._connector.execute_query_all_async(
                FINISH_SUCCEEDED,
                ids=[s.job_id for s in successes],
                worker_ids=[s.worker_id for s in successes],
                task_names=[s.task_name for s in successes],
                results=[None if s.result is None else Jsonb(s.result) for s in successes],
            )
        except BaseException as error:
            for _, done in group:
                if not done.done():
                    done.set_exception(error)
            if not isinstance(error, Exception):
                raise
            return
        written = {row["id"] for row in rows}
        for success, done in group:
            if success.job_id not in written:
                # Rescued meanwhile (this worker was taken for dead): the rescue owns it.
                logger.warning(
                    "job %s was no longer running when its success was written",
                    success.job_id,
                    extra=log_fields("job_success_not_written", job_id=success.job_id),
                )
            if not done.done():
                done.set_result(None)
