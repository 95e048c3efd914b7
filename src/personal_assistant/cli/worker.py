"""``pa-tasks worker`` and ``pa-tasks up``: run the system."""

from __future__ import annotations

import asyncio
import os
import socket

import typer

from personal_assistant.cli.output import mask_password
from personal_assistant.cli.runtime import console
from personal_assistant.cli.terminal import styled
from personal_assistant.db import migrate
from personal_assistant.db.url import database_url
from personal_assistant.logs import configure_logging
from personal_assistant.settings import QUEUES, get_settings
from personal_assistant.workers.supervisor import WorkerConfig, parse_queues, run_supervised


def _default_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


def _default_concurrency(queues: list[str] | None) -> int:
    per_queue = get_settings().worker_concurrency
    return sum(per_queue[q] for q in (queues or QUEUES))


def _run(config: WorkerConfig) -> None:
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)
    asyncio.run(run_supervised(config))


def worker_command(
    queues: str | None = typer.Option(None, help="Comma-separated queues (default: all)."),
    concurrency: int | None = typer.Option(
        None, min=1, help="Jobs at once (default: the sum of the queues' settings)."
    ),
    name: str | None = typer.Option(None, help="Worker name in logs and job context."),
    http_port: int | None = typer.Option(
        None,
        min=0,
        max=65535,
        help="Serve /metrics, /healthz and /readyz on this port (0: off; "
        "default PA_WORKER_HTTP_PORT).",
    ),
) -> None:
    """Run a supervised worker; SIGTERM/SIGINT stop it gracefully."""
    chosen = parse_queues(queues, QUEUES)
    _run(
        WorkerConfig(
            queues=chosen,
            concurrency=concurrency or _default_concurrency(chosen),
            name=name or _default_name(),
            shutdown_timeout=get_settings().shutdown_timeout_seconds,
            http_port=http_port,
        )
    )


def up_command(
    concurrency: int | None = typer.Option(None, min=1, help="Jobs at once."),
) -> None:
    """Migrate, then run one worker on every queue with the periodic jobs."""
    settings = get_settings()
    url = database_url()
    migrate.upgrade(url)
    name = _default_name()
    where = (
        "DATABASE_URL"
        if settings.database_url
        else f"embedded PostgreSQL in {settings.embedded_data_dir}"
    )
    console.print(styled(("personal assistant tasks", "bold"), f" - database: {where}"))
    console.print(f'  url        {mask_password(url)}  (psql "$(pa-tasks db url)")')
    console.print(f"  schema     {migrate.current_revision(url)}")
    console.print(f"  worker     {name} on {', '.join(QUEUES)}, with periodic jobs")
    console.print('  try        pa-tasks defer ping --args \'{"message": "hi"}\'')
    console.print("             pa-tasks jobs list   pa-tasks queues   pa-tasks tasks")
    console.print("  stop       Ctrl-C (graceful)")
    _run(
        WorkerConfig(
            queues=None,
            concurrency=concurrency or _default_concurrency(None),
            name=name,
            shutdown_timeout=settings.shutdown_timeout_seconds,
        )
    )
