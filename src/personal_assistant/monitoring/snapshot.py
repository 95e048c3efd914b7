"""The queue's state as the database sees it now: depth, lag, stalled jobs, workers, breakers.

One set of SQL read by a blocking connection (the Prometheus collector runs in a thread)
and by an async one (health checks, alerts): the same numbers everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg

from personal_assistant.jobs.rescue import stalled_jobs_sql

DEPTH = """
SELECT queue_name, status::text, count(*)
  FROM procrastinate_jobs
 GROUP BY queue_name, status
"""

# How long the oldest job that could start now has waited: since its scheduled time if it
# has one, else since it was deferred. Job ids grow, so the smallest unscheduled id is the
# oldest unscheduled job and only its events are read.
OLDEST_TODO = """
WITH due AS (
    SELECT queue_name,
           min(id) FILTER (WHERE scheduled_at IS NULL) AS first_id,
           min(scheduled_at) AS first_scheduled
      FROM procrastinate_jobs
     WHERE status = 'todo' AND (scheduled_at IS NULL OR scheduled_at <= now())
     GROUP BY queue_name
)
SELECT queue_name,
       EXTRACT(EPOCH FROM now() - LEAST(
           first_scheduled,
           (SELECT min(at) FROM procrastinate_events WHERE job_id = first_id)
       ))::float8
  FROM due
"""

# The same rule as the stalled-job rescue.
STALLED = (
    "SELECT job.queue_name, job.id" + stalled_jobs_sql("%(stalled_after)s") + "ORDER BY job.id"
)

WORKERS = """
SELECT id, EXTRACT(EPOCH FROM now() - last_heartbeat)::float8
  FROM procrastinate_workers
 ORDER BY id
"""

BREAKERS = "SELECT name, state::text FROM circuit_breakers ORDER BY name"

BREAKER_STATES = ("closed", "open", "half_open")

Rows = Sequence[Sequence[Any]]


@dataclass(frozen=True)
class Snapshot:
    stalled_after: float
    depth: dict[tuple[str, str], int] = field(default_factory=dict)
    oldest_todo_seconds: dict[str, float] = field(default_factory=dict)
    stalled: dict[str, list[int]] = field(default_factory=dict)
    worker_ages: dict[int, float] = field(default_factory=dict)
    breakers: dict[str, str] = field(default_factory=dict)

    @property
    def live_workers(self) -> list[int]:
        return [w for w, age in self.worker_ages.items() if age <= self.stalled_after]

    @property
    def stale_workers(self) -> list[int]:
        return [w for w, age in self.worker_ages.items() if age > self.stalled_after]

    @property
    def stalled_jobs(self) -> list[int]:
        return sorted(job for jobs in self.stalled.values() for job in jobs)

    @classmethod
    def from_rows(
        cls,
        stalled_after: float,
        depth: Rows,
        oldest: Rows,
        stalled: Rows,
        workers: Rows,
        breakers: Rows,
    ) -> Snapshot:
        stalled_by_queue: dict[str, list[int]] = {}
        for queue, job_id in stalled:
            stalled_by_queue.setdefault(queue, []).append(int(job_id))
        return cls(
            stalled_after=stalled_after,
            depth={(queue, status): int(count) for queue, status, count in depth},
            oldest_todo_seconds={
                queue: max(0.0, float(age)) for queue, age in oldest if age is not None
            },
            stalled=stalled_by_queue,
            worker_ages={int(w): float(age) for w, age in workers},
            breakers={str(name): str(state) for name, state in breakers},
        )


def read_snapshot(conn: psycopg.Connection[Any], stalled_after: float) -> Snapshot:
    """Read the snapshot on a blocking connection."""
    params = {"stalled_after": stalled_after}
    return Snapshot.from_rows(
        stalled_after,
        depth=conn.execute(DEPTH).fetchall(),
        oldest=conn.execute(OLDEST_TODO).fetchall(),
        stalled=conn.execute(STALLED, params).fetchall(),
        workers=conn.execute(WORKERS).fetchall(),
        breakers=conn.execute(BREAKERS).fetchall(),
    )


async def read_snapshot_async(conn: psycopg.AsyncConnection[Any], stalled_after: float) -> Snapshot:
    """Read the snapshot on an async connection (e.g. the one under a session)."""
    params = {"stalled_after": stalled_after}
    return Snapshot.from_rows(
        stalled_after,
        depth=await (await conn.execute(DEPTH)).fetchall(),
        oldest=await (await conn.execute(OLDEST_TODO)).fetchall(),
        stalled=await (await conn.execute(STALLED, params)).fetchall(),
        workers=await (await conn.execute(WORKERS)).fetchall(),
        breakers=await (await conn.execute(BREAKERS)).fetchall(),
    )
