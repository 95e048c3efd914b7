"""procrastinate's Worker, made to start scheduled jobs on time and to keep results.

- On time: procrastinate finds a job whose ``scheduled_at`` is in the future only by
  polling (``fetch_job_polling_interval``, 5 s by default). This worker keeps a timer on
  the earliest ``scheduled_at`` of its queues and wakes its fetch loop at that instant.
  The timer re-arms on every ``job_inserted`` notification (a new job may be due sooner)
  and at least every ``RECHECK_SECONDS`` (retries are scheduled by an UPDATE, which
  notifies nobody). Each look covers everything due since the previous one, so a job
  that fell due between two looks still wakes the loop.
- Flow control: jobs are claimed through ``jobs.fetch`` (pauses, priority ageing), only
  from queues the ``jobs.flow`` gate allows (scaled concurrency, resource guard). The
  listener also hears ``queue_controls`` changes, so a pause or scale applies at once.
- Batches (``PA_WORKER_BATCHING``, on by default): one statement claims as many jobs as
  the worker has free slots (``jobs.fetch.claim_jobs``), and endings (successes,
  failures, retries) are written in groups (``jobs/batching.py``). Off, jobs are fetched
  and ended one by one, with the same statements.
- Results: the JSON result the middleware prepared is written in the same statement
  that marks the job succeeded, and a result exists exactly when its job succeeded.
- Errors: a failed attempt's exception (type, message, traceback tail, secrets masked)
  is written to ``job_errors`` in the same statement that retries or fails the job. A
  success costs nothing more. Not errors, so not written: a user's abort (the job ends
  ``aborted``), an interruption by shutdown, and a ``RescheduleError`` (a limit or an
  open breaker: the job waits, through no fault of its own).

The overridden hooks are private to procrastinate; the exact pin makes that safe, and
tests cover the behaviour.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from datetime import datetime
from typing import Any

from procrastinate import job_context, jobs, utils
from procrastinate.manager import get_channel_for_queues
from procrastinate.worker import Worker

from personal_assistant.db.url import database_url
from personal_assistant.jobs import queue_control
from personal_assistant.jobs.batching import Ending, EndingWriter, Retry
from personal_assistant.jobs.failures import FailedAttempt, describe_failure, secret_values
from personal_assistant.jobs.fetch import claim_jobs
from personal_assistant.jobs.flow import FetchFilter, FlowControl, Wait
from personal_assistant.jobs.retry import RescheduleError
from personal_assistant.monitoring.endpoints import worker_side_task
from personal_assistant.monitoring.readiness import listen_probe
from personal_assistant.settings import get_settings

logger = logging.getLogger("personal_assistant.worker")

RECHECK_SECONDS = 1.0
# Wake this long after the due instant, so the database agrees the job is due.
WAKE_MARGIN_SECONDS = 0.002
# procrastinate clears its wake-up flag after every fetch, so a wake-up that lands while a
# fetch is running is lost; knock again this many seconds after the first knock.
EXTRA_KNOCKS = (0.05, 0.25)

NEXT_DUE = """
SELECT clock_timestamp() AS looked_at,
       EXTRACT(EPOCH FROM (min(scheduled_at) - clock_timestamp()))::float8 AS seconds
  FROM procrastinate_jobs
 WHERE status = 'todo'
   AND scheduled_at > COALESCE(%(since)s, clock_timestamp())
   AND (%(queues)s::varchar[] IS NULL OR queue_name = ANY(%(queues)s::varchar[]))
"""

# A failed attempt whose job procrastinate deletes (``delete_jobs``): the error row alone,
# before procrastinate's own finish deletes the job.
RECORD_ERROR = """
INSERT INTO job_errors (job_id, attempt, task_name, queue, error_type, message, traceback, worker)
VALUES (%(job_id)s, %(attempt)s, %(task_name)s, %(queue)s, %(error_type)s, %(message)s,
        %(traceback)s, %(worker)s)
"""


class AssistantWorker(Worker):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._schedule_changed = asyncio.Event()
        self._slot_freed = asyncio.Event()
        self._settings = get_settings()
        self.flow = FlowControl(
            self.app.connector,
            self._settings,
            concurrency=self.concurrency,
            queues=self.queues,
            worker_name=self.worker_name,
            changed=self._flow_changed,
        )
        self._failures: dict[int, FailedAttempt] = {}
        self._secrets: list[str] | None = None
        settings = self._settings
        self._batch_size = settings.worker_batch_size if settings.worker_batching else 0
        self._endings = EndingWriter(self.app.connector, max(self._batch_size, 1))

    def _flow_changed(self) -> None:
        self._slot_freed.set()
        self._new_job_event.set()

    def _log_extra(
        self, action: str, context: Any, job_result: Any, **kwargs: Any
    ) -> dict[str, Any]:
        # procrastinate builds this dict for every job, even for records its logger drops
        # (the product logs each outcome itself, and keeps procrastinate at WARNING).
        if not self.logger.isEnabledFor(logging.INFO):
            return {"action": action, **kwargs}
        extra: dict[str, Any] = super()._log_extra(action, context, job_result, **kwargs)
        return extra

    async def _handle_notification(self, *, channel: str, notification: Any) -> None:
        await super()._handle_notification(channel=channel, notification=notification)
        if notification.get("type") == queue_control.NOTIFICATION_TYPE:
            self.flow.notified()
        elif notification.get("type") == "job_inserted":
            self._schedule_changed.set()
            self._knock()  # procrastinate's own wake-up may land mid-fetch and be lost
        listen_probe.observe(notification)  # /readyz proves LISTEN works by a round trip

    async def _run_loop(self) -> None:
        self.flow.gate.running.clear()
        # Scaled concurrency and the guard hold from the first fetch (pauses, in the fetch).
        await self.flow.refresh_controls()
        await self.flow.check_resources()
        await super()._run_loop()  # type: ignore[no-untyped-call]

    def _start_side_tasks(self) -> list[asyncio.Task[Any]]:
        listen, self.listen_notify = self.listen_notify, False
        try:
            side_tasks: list[asyncio.Task[Any]] = super()._start_side_tasks()
        finally:
            self.listen_notify = listen
        if listen:
            side_tasks.append(asyncio.create_task(self._listen(), name="listener"))
        side_tasks.append(asyncio.create_task(self.flow.watch_controls(), name="queue_controls"))
        if self.flow.guard.thresholds:
            # Only a task that never returns: procrastinate stops watching its side tasks
            # once any of them ends.
            side_tasks.append(
                asyncio.create_task(
                    self.flow.watch_resources(lambda: self.worker_id), name="resource_guard"
                )
            )
        side_tasks.append(asyncio.create_task(self._wake_when_due(), name="due_timer"))
        # Registers the worker for /readyz and serves HTTP when PA_WORKER_HTTP_PORT is set.
        side_tasks.append(asyncio.create_task(worker_side_task(self), name="monitoring"))
        return side_tasks

    async def _listen(self) -> None:
        """procrastinate's listener, also on the queue-control channel (one connection)."""

        async def on_notification(channel: str, payload: str) -> None:
            await self._handle_notification(channel=channel, notification=json.loads(payload))

        channels = [*get_channel_for_queues(self.queues), queue_control.CHANNEL]
        await self.app.connector.listen_notify(on_notification=on_notification, channels=channels)

    async def _fetch_and_process_jobs(self) -> None:
        """procrastinate's loop, with the gate of ``jobs.flow`` in place of one semaphore."""
        while not self._stop_event.is_set():
            choice = self.flow.gate.choose(self.queues)
            if choice == Wait.FOR_SLOT:
                self._slot_freed.clear()
                await utils.wait_any(self._slot_freed.wait(), self._stop_event.wait())
                continue
            if not isinstance(choice, FetchFilter):  # every queue paused or held back
                self._new_job_event.clear()
                break
            # Every free slot at once when batching (no queue past its limit), else one.
            wanted = (
                min(self._batch_size, self.flow.gate.free_slots(choice)) if self._batch_size else 1
            )
            if wanted < 1:
                break
            claimed = await self._claim(choice, wanted)
            # Even when stopping: claimed, so run them (as procrastinate does).
            for job in claimed:
                self._start_job(job)
            if len(claimed) < wanted:
                break

    async def _claim(self, choice: FetchFilter, wanted: int) -> list[jobs.Job]:
        assert self.worker_id is not None
        try:
            return await claim_jobs(
                self.app.connector,
                worker_id=self.worker_id,
                include=choice.include,
                exclude=choice.exclude,
                ageing_seconds=self._settings.priority_ageing_seconds,
                limit=wanted,
            )
        finally:
            self._new_job_event.clear()

    def _start_job(self, job: jobs.Job) -> None:
        job_id = job.id

        def abort_reason() -> job_context.AbortReason | None:
            return self._job_ids_to_abort.get(job_id) if job_id else None

        context = job_context.JobContext(
            app=self.app,
            worker_name=self.worker_name,
            worker_queues=self.queues,
            additional_context=self.additional_context.copy() if self.additional_context else {},
            job=job,
            abort_reason=abort_reason,
            start_timestamp=time.time(),
        )
        task = asyncio.create_task(
            self._process_job(context), name=f"process job {job.task_name}[{job.id}]"
        )
        self._running_jobs[task] = context
        self.flow.gate.running[job.queue] += 1

        def on_job_complete(done: asyncio.Task[Any]) -> None:
            del self._running_jobs[done]
            self.flow.gate.running[job.queue] -= 1
            # A queue skipped for want of a slot may have jobs waiting: look again.
            self._slot_freed.set()
            self._new_job_event.set()

        task.add_done_callback(on_job_complete)

    async def _shutdown(self, side_tasks: list[asyncio.Task[Any]]) -> None:
        worker_id = self.worker_id
        await super()._shutdown(side_tasks)
        with contextlib.suppress(Exception):  # the row is ignored once the worker is gone
            await self.flow.forget(worker_id)

    async def _next_due(self, since: datetime | None) -> tuple[datetime, float | None]:
        """When this look happened, and the seconds until the first job due after ``since``.

        Negative seconds: a job fell due since the previous look.
        """
        row = await self.app.connector.execute_query_one_async(
            NEXT_DUE,
            since=since,
            queues=list(self.queues) if self.queues else None,
        )
        seconds = row["seconds"]
        return row["looked_at"], None if seconds is None else float(seconds)

    async def _wake_when_due(self) -> None:
        since: datetime | None = None
        while True:
            self._schedule_changed.clear()
            since, due_in = await self._next_due(since)
            if due_in is not None and due_in <= 0:
                self._knock()
                continue
            wait = RECHECK_SECONDS if due_in is None else min(due_in, RECHECK_SECONDS)
            try:
                await asyncio.wait_for(self._schedule_changed.wait(), wait + WAKE_MARGIN_SECONDS)
            except TimeoutError:
                if due_in is not None and due_in <= wait:
                    self._knock()

    def _knock(self) -> None:
        """Wake the fetch loop now, and again shortly after in case a running fetch ate it."""
        self._new_job_event.set()
        loop = asyncio.get_running_loop()
        for delay in EXTRA_KNOCKS:
            loop.call_later(delay, self._new_job_event.set)

    def _log_job_outcome(
        self,
        status: jobs.Status,
        context: job_context.JobContext,
        job_result: job_context.JobResult | None,
        job_retry: Any,
        exc_info: bool | BaseException = False,
    ) -> None:
        # procrastinate calls this with the exception just before persisting the status.
        # The job middleware logs every outcome; procrastinate's line, with its traceback,
        # is kept for failures only.
        if status != jobs.Status.FAILED:
            return
        super()._log_job_outcome(status, context, job_result, job_retry, exc_info)
        if (
            isinstance(exc_info, BaseException)
            and not isinstance(exc_info, RescheduleError)
            and context.job.id is not None
        ):
            if self._secrets is None:
                self._secrets = secret_values(urls=[database_url()])
            self._failures[context.job.id] = describe_failure(exc_info, self._secrets)

    async def _persist_job_status(
        self,
        job: jobs.Job,
        status: jobs.Status,
        retry_decision: Any,
        context: Any,
        job_result: Any,
    ) -> None:
        assert job.id is not None
        failure = self._failures.pop(job.id, None)
        ending = self._ending(job, status, retry_decision, job_result, failure)
        if ending is None:
            # An abort, or a job procrastinate deletes once ended: its own path.
            if failure is not None:
                await self.app.connector.execute_query_async(
                    RECORD_ERROR,
                    job_id=job.id,
                    attempt=job.attempts + 1,
                    task_name=job.task_name,
                    queue=job.queue,
                    error_type=failure.error_type,
                    message=failure.message,
                    traceback=failure.traceback,
                    worker=self.worker_name,
                )
            await super()._persist_job_status(
                job=job,
                status=status,
                retry_decision=retry_decision,
                context=context,
                job_result=job_result,
            )
            return
        await self._endings.write(ending)
        self._job_ids_to_abort.pop(job.id, None)

    def _ending(
        self,
        job: jobs.Job,
        status: jobs.Status,
        retry_decision: Any,
        job_result: Any,
        failure: FailedAttempt | None,
    ) -> Ending | None:
        """The attempt's ending for the grouped write; None for procrastinate's own path."""
        assert job.id is not None and self.worker_id is not None
        if self.delete_jobs != jobs.DeleteJobCondition.NEVER:
            return None
        common: dict[str, Any] = {
            "job_id": job.id,
            "worker_id": self.worker_id,
            "task_name": job.task_name,
            "queue": job.queue,
            "attempt": job.attempts + 1,
            "error": failure,
            "worker_name": self.worker_name,
        }
        if retry_decision is not None:
            retry = Retry(
                at=retry_decision.retry_at,
                priority=retry_decision.priority,
                queue=retry_decision.queue,
                lock=retry_decision.lock,
            )
            return Ending(outcome="todo", retry=retry, **common)
        if status == jobs.Status.SUCCEEDED:
            return Ending(outcome="succeeded", result=getattr(job_result, "result", None), **common)
        if status == jobs.Status.FAILED:
            return Ending(outcome="failed", **common)
        return None
