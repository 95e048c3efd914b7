"""Queue statistics over a recent window, from procrastinate's event log.

Every attempt of a job leaves a ``started`` event and then one outcome event:
``succeeded``, ``failed``, ``aborted`` (finished for good) or ``deferred_for_retry``
(another attempt follows). An attempt's duration is the time from its ``started`` event
to its outcome. Counted per task, for outcomes inside the window:

* ``finished``: jobs that ended (succeeded + failed + aborted); ``per_minute`` is that
  over the window's length;
* ``failure_rate``: failed / finished (None when nothing finished);
* ``retried``: attempts that ended in a retry;
* ``p50_s``, ``p95_s``: duration percentiles (``percentile_cont``) of all attempts.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

ATTEMPT_STATS = text(
    """
    WITH attempts AS (
        SELECT job.task_name, job.queue_name, outcome.type::text AS outcome,
               EXTRACT(EPOCH FROM outcome.at - (
                   SELECT max(started.at) FROM procrastinate_events started
                    WHERE started.job_id = outcome.job_id
                      AND started.type = 'started'
                      AND started.at <= outcome.at
               ))::float8 AS seconds
          FROM procrastinate_events outcome
          JOIN procrastinate_jobs job ON job.id = outcome.job_id
         WHERE outcome.type IN ('succeeded', 'failed', 'aborted', 'deferred_for_retry')
           AND outcome.at > now() - make_interval(secs => :window)
    )
    SELECT GROUPING(task_name) = 1 AS is_total, task_name, queue_name,
           count(*) FILTER (WHERE outcome <> 'deferred_for_retry') AS finished,
           count(*) FILTER (WHERE outcome = 'succeeded') AS succeeded,
           count(*) FILTER (WHERE outcome = 'failed') AS failed,
           count(*) FILTER (WHERE outcome = 'aborted') AS aborted,
           count(*) FILTER (WHERE outcome = 'deferred_for_retry') AS retried,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds) AS p50,
           percentile_cont(0.95) WITHIN GROUP (ORDER BY seconds) AS p95
      FROM attempts
     GROUP BY GROUPING SETS ((task_name, queue_name), ())
     ORDER BY is_total, task_name
    """
)
NOW = text("SELECT now()")


@dataclass(frozen=True)
class TaskStats:
    task: str
    queue: str
    finished: int
    succeeded: int
    failed: int
    aborted: int
    retried: int
    per_minute: float
    failure_rate: float | None
    p50_s: float | None
    p95_s: float | None


@dataclass(frozen=True)
class QueueStats:
    window_seconds: float
    since: datetime
    until: datetime
    tasks: list[TaskStats]
    total: TaskStats

    def as_json(self) -> dict[str, Any]:
        return {
            "window_seconds": self.window_seconds,
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "tasks": [asdict(task) for task in self.tasks],
            "total": asdict(self.total),
        }


async def queue_stats(session: AsyncSession, window: timedelta) -> QueueStats:
    seconds = window.total_seconds()
    until: datetime = (await session.execute(NOW)).scalar_one()
    tasks: list[TaskStats] = []
    total = _row_stats("all", "all", {}, seconds)
    for row in await session.execute(ATTEMPT_STATS, {"window": seconds}):
        values = row._mapping
        if values["is_total"]:
            total = _row_stats("all", "all", values, seconds)
        else:
            tasks.append(_row_stats(values["task_name"], values["queue_name"], values, seconds))
    return QueueStats(
        window_seconds=seconds, since=until - window, until=until, tasks=tasks, total=total
    )


def _row_stats(task: str, queue: str, values: Any, seconds: float) -> TaskStats:
    finished = int(values.get("finished") or 0)
    failed = int(values.get("failed") or 0)
    return TaskStats(
        task=task,
        queue=queue,
        finished=finished,
        succeeded=int(values.get("succeeded") or 0),
        failed=failed,
        aborted=int(values.get("aborted") or 0),
        retried=int(values.get("retried") or 0),
        per_minute=round(finished / (seconds / 60), 3),
        failure_rate=round(failed / finished, 4) if finished else None,
        p50_s=_round(values.get("p50")),
        p95_s=_round(values.get("p95")),
    )


def _round(value: Any) -> float | None:
    return None if value is None else round(float(value), 4)
