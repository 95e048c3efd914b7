"""What a worker may fetch right now, and the side loops that keep that true.

- Pauses and scaled concurrency come from ``queue_controls``: re-read on each NOTIFY of
  ``queue_control.CHANNEL`` and every ``PA_QUEUE_CONTROL_RECHECK_SECONDS``.
- The resource guard holds heavy queues back while the machine is busy.
- Slots: a scaled queue runs up to its stored concurrency in slots of its own; the queues
  not scaled share the worker's own concurrency.

The fetch itself also refuses paused queues, so a pause holds even before a worker hears
of it; the gate spares the round trips and keeps scaled queues within their slots.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from personal_assistant.jobs.resource_guard import DB_CONNECTIONS, ResourceGuard, sample_machine
from personal_assistant.logs import log_fields
from personal_assistant.settings import Settings

logger = logging.getLogger("personal_assistant.worker")

READ_CONTROLS = "SELECT queue, paused, concurrency FROM queue_controls"
PUBLISH_GUARD = """
WITH gone AS (
    DELETE FROM worker_resource_guards
     WHERE worker_id NOT IN (SELECT id FROM procrastinate_workers)
)
INSERT INTO worker_resource_guards (worker_id, worker_name, held_queues, detail, changed_at)
VALUES (%(worker_id)s, %(name)s, %(held)s, %(detail)s, now())
ON CONFLICT (worker_id) DO UPDATE
   SET worker_name = EXCLUDED.worker_name, held_queues = EXCLUDED.held_queues,
       detail = EXCLUDED.detail, changed_at = now()
"""
FORGET_GUARD = "DELETE FROM worker_resource_guards WHERE worker_id = %(worker_id)s"


@dataclass(frozen=True)
class FetchFilter:
    include: list[str] | None  # None: every queue not excluded
    exclude: list[str]


class Wait:
    """Why there is nothing to fetch now."""

    FOR_SLOT = "for_slot"  # queues are open but their slots are busy: wait for one
    BLOCKED = "blocked"  # every queue served is paused or held back


@dataclass
class QueueGate:
    shared_limit: int
    paused: set[str] = field(default_factory=set)
    scaled: dict[str, int] = field(default_factory=dict)
    held: set[str] = field(default_factory=set)
    running: Counter[str] = field(default_factory=Counter)

    def choose(self, served: Iterable[str] | None) -> FetchFilter | str:
        blocked = self.paused | self.held
        scaled_full = {q for q, n in self.scaled.items() if self.running[q] >= n}
        shared_busy = sum(n for q, n in self.running.items() if q not in self.scaled)
        shared_full = shared_busy >= self.shared_limit

        def has_slot(queue: str) -> bool:
            if queue in self.scaled:
                return queue not in scaled_full
            return not shared_full

        if served is not None:
            open_ = [q for q in served if q not in blocked]
            if not open_:
                return Wait.BLOCKED
            ready = [q for q in open_ if has_slot(q)]
            return FetchFilter(ready, []) if ready else Wait.FOR_SLOT
        if shared_full:
            ready = sorted(q for q in self.scaled if q not in blocked | scaled_full)
            return FetchFilter(ready, []) if ready else Wait.FOR_SLOT
        return FetchFilter(None, sorted(blocked | scaled_full))

    def free_slots(self, fetch: FetchFilter) -> int:
        """How many jobs one claim under ``fetch`` may take: no queue it can draw from
        may go past its limit, whichever of them the jobs come from."""
        shared_free = self.shared_limit - sum(
            n for q, n in self.running.items() if q not in self.scaled
        )
        if fetch.include is None:
            drawn = [q for q in self.scaled if q not in fetch.exclude]
            free = [shared_free]
        else:
            drawn = [q for q in fetch.include if q in self.scaled]
            free = [shared_free] if any(q not in self.scaled for q in fetch.include) else []
        free += [self.scaled[q] - self.running[q] for q in drawn]
        return max(min(free, default=0), 0)


class FlowControl:
    """Keeps a worker's ``QueueGate`` current; ``changed`` is called after each change."""

    def __init__(
        self,
        connector: Any,
        settings: Settings,
        *,
        concurrency: int,
        queues: Iterable[str] | None,
        worker_name: str | None,
        changed: Callable[[], None],
    ) -> None:
        self.connector = connector
        self.settings = settings
        self.queues = list(queues) if queues else None
        self.worker_name = worker_name
        self.gate = QueueGate(shared_limit=concurrency)
        self.guard = ResourceGuard(
            {
                q: t
                for q, t in settings.resource_guard.items()
                if self.queues is None or q in self.queues
            },
            settings.resource_guard_release_ratio,
        )
        self._changed = changed
        self._controls_notified = asyncio.Event()

    def notified(self) -> None:
        """A NOTIFY said the controls changed: re-read them now."""
        self._controls_notified.set()

    async def refresh_controls(self) -> None:
        rows = await self.connector.execute_query_all_async(READ_CONTROLS)
        paused = {r["queue"] for r in rows if r["paused"]}
        scaled = {r["queue"]: r["concurrency"] for r in rows if r["concurrency"] is not None}
        if paused == self.gate.paused and scaled == self.gate.scaled:
            return
        for queue in sorted(paused ^ self.gate.paused):
            logger.info(
                "queue %s %s",
                queue,
                "paused" if queue in paused else "resumed",
                extra=log_fields(
                    "queue_paused" if queue in paused else "queue_resumed", queue=queue
                ),
            )
        for queue in sorted(set(scaled) | set(self.gate.scaled)):
            if scaled.get(queue) != self.gate.scaled.get(queue):
                logger.info(
                    "queue %s concurrency %s",
                    queue,
                    scaled.get(queue, "shared"),
                    extra=log_fields("queue_scaled", queue=queue),
                )
        self.gate.paused, self.gate.scaled = paused, scaled
        self._changed()

    async def watch_controls(self) -> None:
        """Side task: re-read on NOTIFY, and every recheck interval regardless."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self._controls_notified.wait(), self.settings.queue_control_recheck_seconds
                )
            self._controls_notified.clear()
            try:
                await self.refresh_controls()
            except Exception as exc:  # a lost connection must not stop the worker
                logger.warning(
                    "cannot read queue controls: %s",
                    exc,
                    extra=log_fields("queue_controls_unreadable"),
                )

    async def check_resources(self) -> bool:
        """Take one sample and apply it; True if a queue was engaged or released."""
        if not self.guard.thresholds:
            return False
        connections = None
        if self.guard.needs_db_connections:
            row = await self.connector.execute_query_one_async(DB_CONNECTIONS)
            connections = int(row["n"])
        sample = await asyncio.to_thread(sample_machine, connections)
        if not self.guard.update(sample, self.worker_name):
            return False
        self.gate.held = set(self.guard.held)
        self._changed()
        return True

    async def watch_resources(self, worker_id: Callable[[], int | None]) -> None:
        """Side task (never returns): sample the machine, hold heavy queues back when busy.

        Start it only when some queue is guarded.
        """
        with contextlib.suppress(Exception):  # published again at the next change
            await self._publish(worker_id())
        while True:
            await asyncio.sleep(self.settings.resource_guard_interval_seconds)
            try:
                if await self.check_resources():
                    await self._publish(worker_id())
            except Exception as exc:  # a lost connection must not stop the worker
                logger.warning(
                    "resource guard cannot sample: %s",
                    exc,
                    extra=log_fields("resource_guard_error"),
                )

    async def _publish(self, worker_id: int | None) -> None:
        if worker_id is None:
            return
        await self.connector.execute_query_async(
            PUBLISH_GUARD,
            worker_id=worker_id,
            name=self.worker_name,
            held=",".join(sorted(self.guard.held)),
            detail=self.guard.detail(),
        )

    async def forget(self, worker_id: int | None) -> None:
        if worker_id is not None and self.guard.thresholds:
            await self.connector.execute_query_async(FORGET_GUARD, worker_id=worker_id)
