"""The procrastinate App: ``procrastinate --app=personal_assistant.workers.app.app worker``."""

from __future__ import annotations

from typing import Any

from procrastinate import App

from personal_assistant.settings import get_settings
from personal_assistant.workers.connector import SettingsConnector
from personal_assistant.workers.middleware import job_middleware
from personal_assistant.workers.tasks import discover_domains
from personal_assistant.workers.worker import AssistantWorker


class AssistantApp(App):
    """The App whose workers start scheduled jobs on time (see ``workers/worker.py``)."""

    def _worker(self, **kwargs: Any) -> AssistantWorker:
        return AssistantWorker(app=self, **{**self.worker_defaults, **kwargs})


def build_app() -> AssistantApp:
    settings = get_settings()
    app = AssistantApp(
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
    for domain in discover_domains(settings.extra_task_modules):
        app.add_tasks_from(domain.blueprint, namespace=domain.namespace)
    return app


app = build_app()
