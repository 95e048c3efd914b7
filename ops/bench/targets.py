"""The two apps under test, side by side on the same PostgreSQL server.

``project`` is the product's App (every worker middleware from its worker defaults,
result recording on) with a no-op task added in a ``bench`` namespace; ``bare`` is a
plain procrastinate App with an equivalent no-op task and no middleware. Each has its
own freshly migrated database, so one's leftovers never slow the other.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import procrastinate
from procrastinate import JobContext
from procrastinate.tasks import Task
from procrastinate.types import JSONDict

from personal_assistant.db.session import session_scope
from personal_assistant.jobs.declare import Domain, JSONResult, Payload
from personal_assistant.jobs.enqueue import JobOptions, defer
from personal_assistant.jobs.retry import NO_RETRY
from personal_assistant.settings import Settings

QUEUE = "bench"
PRODUCT_PATH = "product path"
PLAIN_PATH = "defer_async"


class StartLog:
    """When each job's task body began (``time.time()``), by job id."""

    def __init__(self) -> None:
        self.started: dict[int, float] = {}
        self._changed = asyncio.Event()

    def record(self, job_id: int | None) -> None:
        if job_id is not None:
            self.started[job_id] = time.time()
            self._changed.set()

    async def wait_for(self, job_id: int, within: float) -> float:
        """The job's start time; ``TimeoutError`` if it has not started ``within`` seconds."""
        async with asyncio.timeout(within):
            while job_id not in self.started:
                self._changed.clear()
                await self._changed.wait()
        return self.started[job_id]


# One log for the whole process: only one measurement runs at a time, and each starts
# with a fresh one (see ``reset_starts``).
STARTS = StartLog()


def reset_starts() -> StartLog:
    global STARTS
    STARTS = StartLog()
    return STARTS


class NoopPayload(Payload):
    n: int = 0


domain = Domain(namespace="bench", queue=QUEUE)


@domain.task(name="noop", payload=NoopPayload, retry=NO_RETRY, timeout=60)
async def project_noop(context: JobContext, payload: NoopPayload) -> JSONResult:
    """Nothing but a tiny result: what is measured is the machinery around it."""
    STARTS.record(context.job.id)
    return {"n": payload.n}


# Defers one job (argument ``n``, optional start time) and returns its id.
DeferOne = Callable[[int, datetime | None], Awaitable[int]]


@dataclass
class Target:
    label: str
    app: procrastinate.App
    task: Task[Any, Any, Any]
    url: str
    # How this app defers one job "for real": the product goes through
    # ``enqueue.defer`` in a session transaction, bare procrastinate calls defer_async.
    defer_one: DeferOne
    defer_paths: dict[str, DeferOne]
    origin: str

    def anatomy(self) -> str:
        """What this App runs a job with: App class, worker class and worker middleware."""
        worker = self.app._worker(queues=[QUEUE], install_signal_handlers=False)
        names = [getattr(mw, "__name__", repr(mw)) for mw in worker.worker_middleware]
        middleware = ", ".join(names) or "none"
        return (
            f"{self.origin}; {type(self.app).__name__}, worker {type(worker).__name__}, "
            f"worker middleware: {middleware}"
        )

    async def batch_defer(self, first: int, count: int) -> list[int]:
        kwargs: list[JSONDict] = [{"n": n} for n in range(first, first + count)]
        ids: list[int] = await self.task.batch_defer_async(*kwargs)
        return ids


def plain_deferrer(task: Task[Any, Any, Any]) -> DeferOne:
    async def defer_plain(n: int, schedule_at: datetime | None = None) -> int:
        deferrer = task.configure(schedule_at=schedule_at) if schedule_at else task
        job_id: int = await deferrer.defer_async(n=n)
        return job_id

    return defer_plain


def product_deferrer(task: Task[Any, Any, Any]) -> DeferOne:
    async def defer_in_transaction(n: int, schedule_at: datetime | None = None) -> int:
        async with session_scope() as session:
            return await defer(session, task, NoopPayload(n=n), JobOptions(schedule_at=schedule_at))

    return defer_in_transaction


def project_target(url: str) -> Target:
    """The product's App, as every worker of the product builds it, plus the bench domain.

    ``personal_assistant.workers.app.app`` is ``jobs.app.get_app()``'s App; building a
    second App would re-namespace the domains' shared blueprints, so that one is used.
    """
    from personal_assistant.workers.app import app

    app.add_tasks_from(domain.blueprint, namespace=domain.namespace)
    task = app.tasks[f"{domain.namespace}:noop"]
    return Target(
        label="project",
        app=app,
        task=task,
        url=url,
        defer_one=product_deferrer(task),
        defer_paths={PRODUCT_PATH: product_deferrer(task), PLAIN_PATH: plain_deferrer(task)},
        origin="get_app() + bench domain, results recorded in job_results",
    )


def bare_target(url: str, settings: Settings) -> Target:
    """procrastinate out of the box; only the pool is sized like the product's, so the
    comparison is about middleware and deferral paths, not connection counts."""
    app = procrastinate.App(
        connector=procrastinate.PsycopgConnector(
            conninfo=url, min_size=settings.pool_min_size, max_size=settings.pool_max_size
        )
    )

    @app.task(name=f"{QUEUE}:noop", queue=QUEUE, pass_context=True)
    async def bare_noop(context: JobContext, n: int = 0) -> dict[str, int]:
        STARTS.record(context.job.id)
        return {"n": n}

    task: Task[Any, Any, Any] = bare_noop
    return Target(
        label="bare",
        app=app,
        task=task,
        url=url,
        defer_one=plain_deferrer(task),
        defer_paths={PLAIN_PATH: plain_deferrer(task)},
        origin="procrastinate.App(PsycopgConnector(conninfo=...)) + bench:noop",
    )
