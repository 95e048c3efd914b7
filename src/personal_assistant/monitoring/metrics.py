"""The registries that expose the metrics: a worker's own job counters plus the database.

The job counters themselves live beside the middleware that counts them
(``jobs.metrics``). Queue gauges come from the database at scrape time instead
(``monitoring.collector``), so they are true whichever process scrapes them.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, generate_latest

from personal_assistant.jobs.metrics import JOB_DURATION, JOBS
from personal_assistant.jobs.resource_guard import GUARD_ENGAGED
from personal_assistant.monitoring.collector import DatabaseCollector


def worker_registry() -> CollectorRegistry:
    """What a worker exposes: its own job metrics plus the database's gauges."""
    registry = database_registry()
    registry.register(JOBS)
    registry.register(JOB_DURATION)
    registry.register(GUARD_ENGAGED)
    return registry


def database_registry() -> CollectorRegistry:
    """What ``pa-tasks metrics`` exposes: the database's gauges only."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DatabaseCollector())
    return registry


def render(registry: CollectorRegistry) -> bytes:
    """The Prometheus text exposition of ``registry`` (blocking: it may query the database)."""
    return generate_latest(registry)
