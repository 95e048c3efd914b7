"""The procrastinate App: ``procrastinate --app=personal_assistant.workers.app.app worker``."""

from __future__ import annotations

from procrastinate import App

from personal_assistant.settings import get_settings
from personal_assistant.workers.connector import SettingsConnector
from personal_assistant.workers.middleware import job_middleware
from personal_assistant.workers.tasks import discover_domains


def build_app() -> App:
    settings = get_settings()
    app = App(
        connector=SettingsConnector(),
        worker_defaults={
            "worker_middleware": [job_middleware],
            "update_heartbeat_interval": settings.heartbeat_interval_seconds,
            "stalled_worker_timeout": settings.stalled_after_seconds,
            "fetch_job_polling_interval": settings.poll_interval_seconds,
            "shutdown_graceful_timeout": settings.shutdown_timeout_seconds,
        },
        # A periodic run missed by more than this while no worker was up is skipped.
        periodic_defaults={"max_delay": 600},
    )
    for domain in discover_domains():
        app.add_tasks_from(domain.blueprint, namespace=domain.namespace)
    return app


app = build_app()
