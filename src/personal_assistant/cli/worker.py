"""``pa-tasks worker``: run a supervised worker."""

from __future__ import annotations

import asyncio
import os
import socket

import typer

from personal_assistant.logs import configure_logging
from personal_assistant.settings import QUEUES, get_settings
from personal_assistant.workers.supervisor import WorkerConfig, parse_queues, run_supervised


def default_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


def default_concurrency(queues: list[str] | None) -> int:
    per_queue = get_settings().worker_concurrency
    return sum(per_queue[q] for q in (queues or QUEUES))


def run_worker(config: WorkerConfig) -> None:
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
    run_worker(
        WorkerConfig(
            queues=chosen,
            concurrency=concurrency or default_concurrency(chosen),
            name=name or default_name(),
            shutdown_timeout=get_settings().shutdown_timeout_seconds,
            http_port=http_port,
        )
    )
