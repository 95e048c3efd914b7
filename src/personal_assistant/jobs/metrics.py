"""Job metrics counted in the worker process: one counter and one histogram per attempt.

The worker middleware calls ``record_job`` once per job attempt: two in-memory updates,
no database round trip. ``monitoring.metrics`` puts them in the registries it exposes.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram, disable_created_metrics

# ``*_created`` timestamps per series only add noise to every scrape.
disable_created_metrics()  # type: ignore[no-untyped-call]

# Job durations span milliseconds (a ping) to an hour (a backup).
DURATION_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600)

JOBS = Counter(
    "pa_jobs",
    "Job attempts finished by this process, by task, queue and outcome "
    "(succeeded, failed, timeout, aborted, deferred).",
    ["task", "queue", "outcome"],
    registry=None,  # registered by each registry that exposes them (monitoring.metrics)
)
JOB_DURATION = Histogram(
    "pa_job_duration_seconds",
    "Wall time of job attempts run by this process, by task and queue.",
    ["task", "queue"],
    buckets=DURATION_BUCKETS,
    registry=None,  # registered by each registry that exposes them (monitoring.metrics)
)


def record_job(task: str, queue: str, outcome: str, duration: float) -> None:
    """Count one finished attempt of ``task``; called by the worker middleware."""
    JOBS.labels(task=task, queue=queue, outcome=outcome).inc()
    JOB_DURATION.labels(task=task, queue=queue).observe(duration)
