"""procrastinate's Worker, made to start scheduled jobs on time.

procrastinate only finds a job whose ``scheduled_at`` is in the future by polling
(every ``fetch_job_polling_interval``, 5 s by default), so such jobs start up to that
late. This worker keeps one extra side task: a timer set to the earliest future
``scheduled_at`` of its queues, which wakes the fetch loop at that instant. It re-arms on
every ``job_inserted`` notification (a new job may be due sooner) and at least every
``RECHECK_SECONDS`` (retries are scheduled by an UPDATE, which notifies nobody).

The overridden hooks are private to procrastinate; the pinned version makes that safe,
and tests cover the behaviour.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from procrastinate.worker import Worker

from personal_assistant.monitoring.endpoints import worker_side_task
from personal_assistant.monitoring.readiness import listen_probe

logger = logging.getLogger("personal_assistant.worker")

RECHECK_SECONDS = 1.0
# Wake this long after the due instant, so the database agrees the job is due.
WAKE_MARGIN_SECONDS = 0.002

SECONDS_UNTIL_NEXT_DUE = """
SELECT EXTRACT(EPOCH FROM (min(scheduled_at) - clock_timestamp()))::float8 AS seconds
  FROM procrastinate_jobs
 WHERE status = 'todo'
   AND scheduled_at > clock_timestamp()
   AND (%(queues)s::varchar[] IS NULL OR queue_name = ANY(%(queues)s::varchar[]))
"""


class OnTimeWorker(Worker):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._schedule_changed = asyncio.Event()

    async def _handle_notification(self, *, channel: str, notification: Any) -> None:
        await super()._handle_notification(channel=channel, notification=notification)
        if notification.get("type") == "job_inserted":
            self._schedule_changed.set()
        listen_probe.observe(notification)  # /readyz proves LISTEN works by a round trip

    def _start_side_tasks(self) -> list[asyncio.Task[Any]]:
        side_tasks: list[asyncio.Task[Any]] = super()._start_side_tasks()
        side_tasks.append(asyncio.create_task(self._wake_when_due(), name="due_timer"))
        # Registers the worker for /readyz and serves HTTP when PA_WORKER_HTTP_PORT is set.
        side_tasks.append(asyncio.create_task(worker_side_task(self), name="monitoring"))
        return side_tasks

    async def _seconds_until_next_due(self) -> float | None:
        row = await self.app.connector.execute_query_one_async(
            SECONDS_UNTIL_NEXT_DUE,
            queues=list(self.queues) if self.queues else None,
        )
        seconds = row["seconds"]
        return None if seconds is None else float(seconds)

    async def _wake_when_due(self) -> None:
        while True:
            self._schedule_changed.clear()
            due_in = await self._seconds_until_next_due()
            wait = RECHECK_SECONDS if due_in is None else min(due_in, RECHECK_SECONDS)
            try:
                await asyncio.wait_for(self._schedule_changed.wait(), wait + WAKE_MARGIN_SECONDS)
            except TimeoutError:
                if due_in is not None and due_in <= wait:
                    self._new_job_event.set()
