"""The procrastinate App, built once per process from every domain's tasks.

Domains are discovered the way models are (``db.base.load_all_models``): the ``domain``
of every ``personal_assistant.<package>.tasks`` module, then those of
``PA_EXTRA_TASK_MODULES``. Adding a task type means adding
a ``tasks.py`` to its domain; nothing else changes.

Building binds each task to the App and gives it its namespaced name
("maintenance:ping"), so there is one App per process: ``get_app()``. The worker
process (``workers.app``) chooses the Worker class the App starts.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

from procrastinate import App
from procrastinate.worker import Worker

import personal_assistant
from personal_assistant.jobs.connector import SettingsConnector
from personal_assistant.jobs.declare import Domain
from personal_assistant.jobs.middleware import job_middleware
from personal_assistant.settings import get_settings

TASKS_MODULE = "tasks"


class AssistantApp(App):
    """An App whose ``procrastinate ... worker`` runs ``worker_class``."""

    worker_class: type[Worker] = Worker

    def _worker(self, **kwargs: Any) -> Worker:
        return self.worker_class(app=self, **{**self.worker_defaults, **kwargs})


def domain_modules() -> list[str]:
    """Every ``tasks`` module of the product's packages, in name order."""
    return sorted(
        module.name
        for module in pkgutil.walk_packages(personal_assistant.__path__, "personal_assistant.")
        if module.name.rsplit(".", 1)[-1] == TASKS_MODULE
    )


def discover_domains(extra_modules: list[str] | None = None) -> list[Domain]:
    """The domains of the product's ``tasks`` modules, then those of ``extra_modules``."""
    domains: list[Domain] = []
    for name in [*domain_modules(), *(extra_modules or [])]:
        domain = getattr(importlib.import_module(name), "domain", None)
        if isinstance(domain, Domain):
            domains.append(domain)
    return domains


def build_app(domains: list[Domain]) -> AssistantApp:
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
    for domain in domains:
        app.add_tasks_from(domain.blueprint, namespace=domain.namespace)
    return app


_app: AssistantApp | None = None


def get_app() -> AssistantApp:
    """The process's App, built on first use (not on import: ``--help`` stays fast)."""
    global _app
    if _app is None:
        _app = build_app(discover_domains(get_settings().extra_task_modules))
    return _app
