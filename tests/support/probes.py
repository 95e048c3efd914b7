"""Helpers shared by the monitoring tests: deferring known jobs, reading HTTP endpoints."""

from __future__ import annotations

import socket
import urllib.error
import urllib.request
from datetime import datetime
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

PROBE_MODULE = "tests.support.probe_tasks"
PROBE_ENV = {"PA_EXTRA_TASK_MODULES": PROBE_MODULE}
QUEUE = "sync_tasks"

# The SQL function procrastinate's batch defer calls: the jobs are exactly what
# `task.batch_defer(...)` makes, without importing the probe tasks into the test process.
DEFER = """
SELECT unnest(procrastinate_defer_jobs_v1(array_agg(
    ROW(%(queue)s, %(task)s, 0, NULL, NULL, args, %(at)s)::procrastinate_job_to_defer_v1
))) FROM unnest(%(args)s::jsonb[]) AS args
"""


def defer_jobs(
    url: str,
    task: str,
    count: int,
    args: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> list[int]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            DEFER,
            {"queue": QUEUE, "task": task, "at": at, "args": [Jsonb(args or {})] * count},
        ).fetchall()
    return [row[0] for row in rows]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def http_get(port: int, path: str, timeout: float = 10) -> tuple[int, str]:
    """(status, body); (0, error) when nothing answers."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as reply:
            return reply.status, reply.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()
    except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
        return 0, str(exc)


Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def metric_samples(text: str) -> Samples:
    from prometheus_client.parser import text_string_to_metric_families

    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def sample(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))
