"""``pa-tasks metrics``: serve the database's queue metrics to Prometheus from any host."""

from __future__ import annotations

import asyncio
import signal

import typer

from personal_assistant.cli.runtime import console
from personal_assistant.db.url import database_url
from personal_assistant.logs import configure_logging
from personal_assistant.monitoring.endpoints import database_routes, start_server
from personal_assistant.settings import get_settings


async def _serve(host: str, port: int) -> None:
    server = await start_server(database_routes(), host, port)
    console.print(f"serving http://{host}:{server.port}/metrics  (Ctrl-C stops)")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        await server.close()


def metrics_command(
    port: int = typer.Option(9465, min=1, max=65535, help="Port to serve /metrics on."),
    host: str = typer.Option("127.0.0.1", help="Address to bind (0.0.0.0: every interface)."),
) -> None:
    """Serve queue depth, oldest due job, stalled jobs, workers and breakers until stopped."""
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)
    database_url()  # resolve (and start an embedded server) before the first scrape
    asyncio.run(_serve(host, port))
