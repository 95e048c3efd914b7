"""``pa-tasks up``: migrate, then run one worker on every queue.

Apart from ``pa-tasks worker``: migrations (alembic) load here only, not in every worker.
"""

from __future__ import annotations

import typer

from personal_assistant.cli.output import mask_password
from personal_assistant.cli.runtime import console
from personal_assistant.cli.terminal import styled
from personal_assistant.cli.worker import default_concurrency, default_name, run_worker
from personal_assistant.db import migrate
from personal_assistant.db.url import database_url
from personal_assistant.settings import QUEUES, get_settings
from personal_assistant.workers.supervisor import WorkerConfig


def up_command(
    concurrency: int | None = typer.Option(None, min=1, help="Jobs at once."),
) -> None:
    """Migrate, then run one worker on every queue with the periodic jobs."""
    settings = get_settings()
    url = database_url()
    migrate.upgrade(url)
    name = default_name()
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
    run_worker(
        WorkerConfig(
            queues=None,
            concurrency=concurrency or default_concurrency(None),
            name=name,
            shutdown_timeout=settings.shutdown_timeout_seconds,
        )
    )
