"""A Prometheus collector that reads the queue's state from the database at scrape time.

Collectors are synchronous: each scrape opens one short-lived blocking connection with a
connect and statement timeout (the HTTP server runs the scrape in a thread, off the
worker's event loop). A fresh connection per scrape also means a scrape never waits on
the worker's pool and always tells the truth after a database restart. When the
database does not answer, the scrape still succeeds with ``pa_database_up 0``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

import psycopg
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from personal_assistant.db.url import database_url
from personal_assistant.jobs.inspect import STATUSES
from personal_assistant.logs import log_fields
from personal_assistant.monitoring.snapshot import BREAKER_STATES, Snapshot, read_snapshot
from personal_assistant.settings import QUEUES, get_settings

logger = logging.getLogger("personal_assistant.monitoring")


def fetch_snapshot(timeout: float) -> Snapshot:
    """Read a snapshot on a fresh connection, bounded by ``timeout`` per step."""
    settings = get_settings()
    with psycopg.connect(
        database_url(), connect_timeout=max(1, round(timeout)), autocommit=True
    ) as conn:
        conn.execute(f"SET statement_timeout = {int(timeout * 1000)}")
        return read_snapshot(conn, settings.stalled_after_seconds)


class DatabaseCollector(Collector):
    def describe(self) -> list[Metric]:
        # Registering must not touch the database; the families are known only at scrape.
        return []

    def collect(self) -> Iterator[Metric]:
        started = time.perf_counter()
        up = GaugeMetricFamily("pa_database_up", "1 if the database answered this scrape.")
        try:
            snapshot = fetch_snapshot(get_settings().monitoring_timeout_seconds)
        except (psycopg.Error, OSError) as exc:
            logger.warning(
                "metrics scrape could not read the database: %s",
                str(exc).splitlines()[0] if str(exc) else type(exc).__name__,
                extra=log_fields("metrics_database_unavailable"),
            )
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from snapshot_metrics(snapshot)
        duration = GaugeMetricFamily(
            "pa_metrics_database_read_seconds", "Time this scrape spent reading the database."
        )
        duration.add_metric([], time.perf_counter() - started)
        yield duration


def snapshot_metrics(snapshot: Snapshot) -> Iterator[Metric]:
    queues = sorted(set(QUEUES) | {queue for queue, _ in snapshot.depth})

    depth = GaugeMetricFamily(
        "pa_queue_jobs", "Jobs in the queue table, by queue and status.", labels=["queue", "status"]
    )
    for queue in queues:
        for status in STATUSES:
            depth.add_metric([queue, status], snapshot.depth.get((queue, status), 0))
    yield depth

    oldest = GaugeMetricFamily(
        "pa_queue_oldest_todo_age_seconds",
        "How long the oldest job that is due now has waited to start (0: none waiting).",
        labels=["queue"],
    )
    stalled = GaugeMetricFamily(
        "pa_stalled_jobs",
        "Running jobs whose worker stopped heartbeating or is gone.",
        labels=["queue"],
    )
    for queue in queues:
        oldest.add_metric([queue], snapshot.oldest_todo_seconds.get(queue, 0.0))
        stalled.add_metric([queue], len(snapshot.stalled.get(queue, [])))
    yield oldest
    yield stalled

    workers = GaugeMetricFamily(
        "pa_workers",
        "Registered workers, live (fresh heartbeat) or stale.",
        labels=["state"],
    )
    workers.add_metric(["live"], len(snapshot.live_workers))
    workers.add_metric(["stale"], len(snapshot.stale_workers))
    yield workers

    breakers = GaugeMetricFamily(
        "pa_circuit_breaker_state",
        "1 for each circuit breaker's current state (closed, open, half_open), else 0.",
        labels=["name", "state"],
    )
    for name, current in sorted(snapshot.breakers.items()):
        for state in BREAKER_STATES:
            breakers.add_metric([name, state], 1 if current == state else 0)
    yield breakers
