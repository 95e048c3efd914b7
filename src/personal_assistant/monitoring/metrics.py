"""Job metrics counted in the worker process, and the registries that expose them.

The worker middleware calls ``record_job`` once per job attempt: two in-memory updates,
no database round trip. Queue gauges come from the database at scrape time instead
(``monitoring.collector``), so they are true whichever process scrapes them.
"""

from __future__ import annotations

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)

from personal_assistant.jobs.resource_guard import GUARD_ENGAGED
from personal_assistant.monitoring.collector import DatabaseCollector

# ``*_created`` timestamps per series only add noise to every scrape.
disable_created_metrics()  # type: ignore[no-untyped-call]

# Job durations span milliseconds (a ping) to an hour (a backup).
DURATION_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600)

JOBS = Counter(
    "pa_jobs",
    "Job attempts finished by this process, by task, queue and outcome "
    "(succeeded, failed, timeout, aborted, deferred).",
    ["task", "queue", "outcome"],
    registry=None,  # registered by each registry that exposes them, below
)
JOB_DURATION = Histogram(
    "pa_job_duration_seconds",
    "Wall time of job attempts run by this process, by task and queue.",
    ["task", "queue"],
    buckets=DURATION_BUCKETS,
    registry=None,  # registered by each registry that exposes them, below
)


def record_job(task: str, queue: str, outcome: str, duration: float) -> None:
    """Count one finished attempt of ``task``; called by the worker middleware."""
    JOBS.labels(task=task, queue=queue, outcome=outcome).inc()
    JOB_DURATION.labels(task=task, queue=queue).observe(duration)


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
