"""Run a procrastinate worker that outlives its database connections.

procrastinate's worker stops when a side task (heartbeat, listener) fails, and its
LISTEN connection can die silently across a PostgreSQL restart. The supervisor runs the
worker in a loop: a watchdog notices a lost database or a restarted server (a new
``pg_postmaster_start_time``) and restarts the worker, which re-opens LISTEN. Jobs that
were running when the connection died are left ``doing`` and come back through the
stalled-job rescue, so none is lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from procrastinate import App

from personal_assistant.db.url import database_url
from personal_assistant.errors import BadInput, EmbeddedDatabaseError, describe_error
from personal_assistant.jobs.app import get_app
from personal_assistant.logs import log_fields
from personal_assistant.monitoring.endpoints import worker_endpoints
from personal_assistant.settings import get_settings
from personal_assistant.workers.worker import AssistantWorker

logger = logging.getLogger("personal_assistant.worker")

RESTART_GRACE_SECONDS = 5.0


@dataclass(frozen=True)
class WorkerConfig:
    queues: list[str] | None
    concurrency: int
    name: str
    shutdown_timeout: float
    # Port of /metrics, /healthz and /readyz; None: PA_WORKER_HTTP_PORT (0: off).
    http_port: int | None = None


class DatabaseChanged(Exception):
    """The database went away or restarted under the worker."""


async def _postmaster_started_at(url: str, connect_timeout: float) -> datetime:
    async with await psycopg.AsyncConnection.connect(
        url, connect_timeout=max(1, int(connect_timeout)), autocommit=True
    ) as conn:
        row = await (await conn.execute("SELECT pg_postmaster_start_time()")).fetchone()
        assert row is not None
        started: datetime = row[0]
        return started


async def resolve_database_url(stop: asyncio.Event) -> str | None:
    """The database's URL once it can be had (None if stopping).

    Without DATABASE_URL this starts the embedded server, which fails while a previous
    one is still shutting down: the worker waits, as it does after a restart.
    """
    delay = 0.5
    logged = False
    while not stop.is_set():
        try:
            return await asyncio.to_thread(database_url)
        except (EmbeddedDatabaseError, psycopg.Error, OSError) as exc:
            if not logged:  # once per outage, like wait_for_database
                logged = True
                _log_unreachable(exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)
            delay = min(delay * 2, 5.0)
    return None


async def wait_for_database(url: str, stop: asyncio.Event) -> datetime | None:
    """Block until the database answers; return its start time (None if stopping).

    The outage is logged once when it starts and once when it ends, not at every try.
    """
    delay = 0.5
    lost_at: float | None = None
    while not stop.is_set():
        try:
            started = await _postmaster_started_at(url, connect_timeout=5)
        except (psycopg.Error, OSError) as exc:
            if lost_at is None:
                lost_at = time.monotonic()
                _log_unreachable(exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)
            delay = min(delay * 2, 2.0)
            continue
        if lost_at is not None:
            logger.info(
                "database is back after %.0f s",
                time.monotonic() - lost_at,
                extra=log_fields("database_back"),
            )
        return started
    return None


def _log_unreachable(exc: BaseException) -> None:
    detail = describe_error(exc)
    if get_settings().database_url is None:
        hint = (
            "the embedded PostgreSQL server is not running (stopped by `pa-tasks db stop`?); "
            "`pa-tasks db url` starts it again"
        )
    else:
        hint = "the server at DATABASE_URL does not answer"
    logger.warning(
        "database unreachable: %s; waiting for it, retrying every 2 s without logging (%s)",
        hint,
        detail,
        extra=log_fields("database_unreachable"),
    )


async def watch_database(url: str, started_at: datetime, interval: float) -> None:
    """Return (by raising) once the database is lost or has restarted."""
    while True:
        await asyncio.sleep(interval)
        try:
            now_started = await _postmaster_started_at(url, connect_timeout=interval + 3)
        except (psycopg.Error, OSError) as exc:
            raise DatabaseChanged(f"database lost: {describe_error(exc)}") from exc
        if now_started != started_at:
            raise DatabaseChanged("database restarted")


async def run_supervised(config: WorkerConfig, stop: asyncio.Event | None = None) -> None:
    stop = stop or _stop_on_signals()
    settings = get_settings()
    port = settings.worker_http_port if config.http_port is None else config.http_port
    # The endpoints live here, above the worker loop, so they answer across its restarts.
    async with worker_endpoints(settings.worker_http_host, port):
        await _supervise(config, stop)


async def _supervise(config: WorkerConfig, stop: asyncio.Event) -> None:
    app = get_app()
    url = await resolve_database_url(stop)
    while url is not None and not stop.is_set():
        started_at = await wait_for_database(url, stop)
        if started_at is None:
            break
        logger.info(
            "worker %s starting on %s (concurrency %d)",
            config.name,
            ", ".join(config.queues or ["all queues"]),
            config.concurrency,
            extra=log_fields("worker_start", queues=config.queues),
        )
        try:
            async with app.open_async():
                reason = await _run_until_restart(app, config, url, started_at, stop)
        except Exception as exc:  # the database vanished mid-way: restart
            reason = f"{type(exc).__name__}: {describe_error(exc)}"
        if not stop.is_set():
            logger.warning(
                "worker loop ended (%s); restarting",
                reason,
                extra=log_fields("worker_restart", reason=reason),
            )
            await asyncio.sleep(0.2)
    logger.info("worker %s stopped", config.name, extra=log_fields("worker_stop"))


async def _run_until_restart(
    app: App, config: WorkerConfig, url: str, started_at: datetime, stop: asyncio.Event
) -> str:
    settings = get_settings()
    options: dict[str, Any] = {
        **app.worker_defaults,
        "queues": config.queues,
        "concurrency": config.concurrency,
        "name": config.name,
        "install_signal_handlers": False,
        "shutdown_graceful_timeout": config.shutdown_timeout,
    }
    worker = AssistantWorker(app=app, **options)
    running = asyncio.create_task(worker.run())  # type: ignore[no-untyped-call]
    watchdog = asyncio.create_task(
        watch_database(url, started_at, settings.watchdog_interval_seconds)
    )
    stopping = asyncio.create_task(stop.wait())
    await asyncio.wait({running, watchdog, stopping}, return_when=asyncio.FIRST_COMPLETED)
    for task in (watchdog, stopping):
        task.cancel()
    reason = _reason(running, watchdog, stop)
    if not stop.is_set():
        # The database went away: running jobs cannot record their outcome anyway,
        # so do not hold new work back for the full grace period.
        worker.shutdown_graceful_timeout = min(config.shutdown_timeout, RESTART_GRACE_SECONDS)
    worker.stop()  # type: ignore[no-untyped-call]
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await asyncio.wait_for(running, config.shutdown_timeout + 10)
    return reason


def _reason(worker: asyncio.Task[None], watchdog: asyncio.Task[None], stop: asyncio.Event) -> str:
    if stop.is_set():
        return "stop requested"
    for task, prefix in ((watchdog, ""), (worker, "worker failed: ")):
        error = task.exception() if task.done() and not task.cancelled() else None
        if error is not None:
            return prefix + describe_error(error)
    return "worker returned"


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, _request_stop, stop, signum)
    return stop


def _request_stop(stop: asyncio.Event, signum: int) -> None:
    logger.info(
        "received %s, shutting down gracefully",
        signal.Signals(signum).name,
        extra=log_fields("worker_stopping"),
    )
    stop.set()


def parse_queues(text: str | None, known: Iterable[str]) -> list[str] | None:
    """``a,b`` into a list of known queue names; ``None`` (or empty) means all queues."""
    if not text:
        return None
    queues = [q.strip() for q in text.split(",") if q.strip()]
    known_set = set(known)
    unknown = [q for q in queues if q not in known_set]
    if unknown:
        raise BadInput(f"unknown queue {unknown[0]!r}; queues are {', '.join(sorted(known_set))}")
    return queues
