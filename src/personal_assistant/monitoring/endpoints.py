"""The worker's HTTP endpoints, and which part of the process serves them.

* ``/metrics``: this process's job counters and durations, plus the database's gauges.
* ``/healthz``: alive; answered by the event loop, 200 as long as it turns.
* ``/readyz``: ready to work (see ``monitoring.readiness``); 503 with reasons otherwise.

``pa-tasks worker`` serves them from its supervisor, so they keep answering while the
worker loop restarts after a lost database (/readyz says why it is not ready meanwhile).
A bare ``procrastinate ... worker`` has no supervisor: its worker's monitoring side task
serves them, and they end with the worker, as does the process. One server per process:
whichever starts first decides, the other only registers its worker for /readyz.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from procrastinate.worker import Worker
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry

from personal_assistant.errors import AssistantError
from personal_assistant.logs import log_fields
from personal_assistant.monitoring.coalesce import Coalesced
from personal_assistant.monitoring.http import Handler, HttpServer, Response, json_response
from personal_assistant.monitoring.metrics import database_registry, render, worker_registry
from personal_assistant.monitoring.readiness import (
    describe,
    readiness,
    running_workers,
    worker_started,
    worker_stopped,
)
from personal_assistant.settings import get_settings

logger = logging.getLogger("personal_assistant.monitoring")

# Whether some part of this process already owns the endpoints (served or turned off).
_decided = False


class CannotServe(AssistantError):
    """The metrics and health endpoints cannot be served on that address."""


def metrics_handler(registry: CollectorRegistry) -> Handler:
    # The collector blocks on the database: keep it off the event loop. One scrape at a
    # time, shared by the requests that arrive meanwhile (see ``coalesce``); never older
    # than the request, so a scrape tells the database as it is.
    scrape: Coalesced[bytes] = Coalesced(lambda: asyncio.to_thread(render, registry))

    async def metrics() -> Response:
        return Response(200, await scrape.get(), CONTENT_TYPE_LATEST)

    return metrics


async def healthz() -> Response:
    workers = [describe(worker) for worker in running_workers()]
    return json_response(200, {"alive": True, "pid": os.getpid(), "workers": workers})


# Readiness is polled by orchestrators: an answer a second old is as good.
_readiness = Coalesced(readiness, ttl=1.0)


async def readyz() -> Response:
    ready, report = await _readiness.get()
    return json_response(200 if ready else 503, report)


def worker_routes() -> dict[str, Handler]:
    return {"/metrics": metrics_handler(worker_registry()), "/healthz": healthz, "/readyz": readyz}


def database_routes() -> dict[str, Handler]:
    """``pa-tasks metrics``: the database's gauges, from any host."""

    async def alive() -> Response:
        return json_response(200, {"alive": True, "pid": os.getpid()})

    return {"/metrics": metrics_handler(database_registry()), "/healthz": alive}


async def start_server(routes: dict[str, Handler], host: str, port: int) -> HttpServer:
    server = HttpServer(routes)
    try:
        await server.start(host, port)
    except OSError as exc:
        raise CannotServe(f"cannot serve on {host}:{port}: {exc.strerror or exc}") from None
    logger.info(
        "serving %s on http://%s:%d",
        ", ".join(routes),
        host,
        server.port,
        extra=log_fields("monitoring_http_serving", host=host, port=server.port),
    )
    return server


@asynccontextmanager
async def worker_endpoints(host: str, port: int) -> AsyncIterator[HttpServer | None]:
    """Serve the worker endpoints meanwhile, unless ``port`` is 0.

    The first caller in a process decides, even to serve nothing: ``pa-tasks worker
    --http-port 0`` keeps its worker's side task from serving PA_WORKER_HTTP_PORT.
    """
    global _decided
    if _decided:
        yield None
        return
    _decided = True
    try:
        if not port:
            yield None
            return
        server = await start_server(worker_routes(), host, port)
        try:
            yield server
        finally:
            await server.close()
    finally:
        _decided = False


async def worker_side_task(worker: Worker) -> None:
    """Runs for the worker's lifetime; it must never end on its own, nor raise.

    procrastinate stops the worker when a side task fails, and an unbindable metrics port
    is no reason to stop working.
    """
    worker_started(worker)
    settings = get_settings()
    try:
        async with worker_endpoints(settings.worker_http_host, settings.worker_http_port):
            await asyncio.Future()
    except CannotServe as exc:
        logger.error(str(exc), extra=log_fields("monitoring_http_failed"))
        await asyncio.Future()
    finally:
        worker_stopped(worker)
