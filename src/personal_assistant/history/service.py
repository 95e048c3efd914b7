"""``history``: what ran, when, and how it ended.

Three sources, read as they are: procrastinate's event log gives each job attempt (a
``started`` event and the outcome that followed it), ``schedule_fires`` each time a
stored schedule fired, and ``ai_task_runs`` each AI task run. Each source is read
newest first up to the limit, then the three are merged.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from personal_assistant.errors import BadInput

KINDS = ("job", "schedule", "ai_run")
# Outcomes of an attempt: 'retried' is a failed attempt that will run again.
OUTCOMES = (
    "running",
    "succeeded",
    "failed",
    "retried",
    "aborted",
    "cancelled",
    "planned",
    "rescheduled",
)
MAX_LIMIT = 10_000

ATTEMPTS = text(
    """
    SELECT s.job_id, j.task_name, j.queue_name, s.at AS started_at, e.at AS ended_at,
           COALESCE(CASE e.type::text WHEN 'deferred_for_retry' THEN 'retried'
                                      ELSE e.type::text END, 'running') AS outcome
      FROM procrastinate_events s
      JOIN procrastinate_jobs j ON j.id = s.job_id
      LEFT JOIN LATERAL (
            SELECT n.type, n.at FROM procrastinate_events n
             WHERE n.job_id = s.job_id AND n.id > s.id
               AND n.type IN ('succeeded', 'failed', 'deferred_for_retry', 'aborted', 'cancelled')
             ORDER BY n.id LIMIT 1) e ON true
     WHERE s.type = 'started' AND s.at >= :since
       AND (CAST(:task AS text) IS NULL OR j.task_name = :task)
       AND (CAST(:schedule AS text) IS NULL OR s.job_id IN (
            SELECT f.job_id FROM schedule_fires f JOIN schedules sc ON sc.id = f.schedule_id
             WHERE sc.name = :schedule))
       AND (CAST(:ai_task AS bigint) IS NULL OR s.job_id IN (
            SELECT r.job_id FROM ai_task_runs r WHERE r.task_id = :ai_task))
     ORDER BY s.at DESC, s.id DESC
     LIMIT :limit
    """
)
FIRES = text(
    """
    SELECT sc.name, sc.task_name, f.fire_at, f.fired_at, f.job_id, f.catch_up,
           j.status::text AS job_status
      FROM schedule_fires f
      JOIN schedules sc ON sc.id = f.schedule_id
      LEFT JOIN procrastinate_jobs j ON j.id = f.job_id
     WHERE f.fire_at >= :since AND f.fire_at <= now()
       AND (CAST(:task AS text) IS NULL OR sc.task_name = :task)
       AND (CAST(:schedule AS text) IS NULL OR sc.name = :schedule)
     ORDER BY f.fire_at DESC
     LIMIT :limit
    """
)
RUNS = text(
    """
    SELECT r.task_id, t.title, r.job_id, r.scheduled_for, r.started_at, r.finished_at,
           r.status, r.duration_ms, r.error, jsonb_array_length(r.tool_calls) AS tool_calls
      FROM ai_task_runs r JOIN ai_tasks t ON t.id = r.task_id
     WHERE r.started_at >= :since
       AND (CAST(:ai_task AS bigint) IS NULL OR r.task_id = :ai_task)
     ORDER BY r.started_at DESC, r.id DESC
     LIMIT :limit
    """
)
# How a fire's job status reads as the fire's outcome.
FIRE_OUTCOME = {"todo": "planned", "doing": "running", None: "planned"}


@dataclass(frozen=True)
class Execution:
    kind: str  # job, schedule or ai_run
    at: datetime
    ended_at: datetime | None
    outcome: str
    task: str | None
    job_id: int | None = None
    schedule: str | None = None
    ai_task_id: int | None = None
    detail: str | None = None

    @property
    def duration_s(self) -> float | None:
        if self.ended_at is None:
            return None
        return round((self.ended_at - self.at).total_seconds(), 3)

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["at"] = self.at.isoformat()
        data["ended_at"] = self.ended_at.isoformat() if self.ended_at else None
        data["duration_s"] = self.duration_s
        return data


@dataclass(frozen=True)
class HistoryFilter:
    task: str | None = None
    schedule: str | None = None
    ai_task: int | None = None
    since: datetime | None = None
    status: str | None = None
    limit: int = 100

    def check(self) -> None:
        if self.status is not None and self.status not in OUTCOMES:
            raise BadInput(f"unknown status {self.status!r}; statuses are {', '.join(OUTCOMES)}")
        if not 1 <= self.limit <= MAX_LIMIT:
            raise BadInput(f"limit must be from 1 to {MAX_LIMIT}, not {self.limit}")
        if self.schedule is not None and self.ai_task is not None:
            raise BadInput("give --schedule or --ai-task, not both")

    @classmethod
    def parse(
        cls,
        *,
        task: str | None,
        schedule: str | None,
        ai_task: int | None,
        since: str | None,
        status: str | None,
        limit: int,
    ) -> HistoryFilter:
        """The checked filter from a user's words: a task's full or short name, ``since``
        as 1d, 2h, 30m or an ISO instant."""
        from personal_assistant.jobs.lookup import resolve_task

        where = cls(
            task=resolve_task(task).name if task is not None else None,
            schedule=schedule,
            ai_task=ai_task,
            since=since_from(since),
            status=status,
            limit=limit,
        )
        where.check()
        return where


def since_from(text_value: str | None, now: datetime | None = None) -> datetime | None:
    """'1d', '2h', '30m' back from now, or an ISO instant."""
    if text_value is None:
        return None
    from personal_assistant.schedule_text import ScheduleError, parse_duration, parse_instant

    now = now or datetime.now(UTC)
    try:
        return now - parse_duration(text_value)
    except ScheduleError:
        pass
    try:
        return parse_instant(text_value, now=now)
    except ScheduleError:
        raise BadInput(
            f"--since: {text_value!r} is neither a duration (1d, 2h, 30m) nor an ISO instant"
        ) from None


async def history(session: AsyncSession, where: HistoryFilter) -> list[Execution]:
    """Every execution matching ``where``, newest first, at most ``where.limit``."""
    where.check()
    params = {
        "task": where.task,
        "schedule": where.schedule,
        "ai_task": where.ai_task,
        "since": where.since or datetime(1970, 1, 1, tzinfo=UTC),
        # The status filter applies after merging: read enough of each source.
        "limit": where.limit if where.status is None else MAX_LIMIT,
    }
    found = await _attempts(session, params)
    if where.ai_task is None:
        found += await _fires(session, params)
    if where.schedule is None and (where.task in (None, "ai:run_ai_task")):
        found += await _runs(session, params)
    if where.status is not None:
        found = [e for e in found if e.outcome == where.status]
    found.sort(key=lambda e: e.at, reverse=True)
    return found[: where.limit]


async def _attempts(session: AsyncSession, params: dict[str, Any]) -> list[Execution]:
    rows = await session.execute(ATTEMPTS, params)
    return [
        Execution(
            kind="job",
            at=r.started_at,
            ended_at=r.ended_at,
            outcome=r.outcome,
            task=r.task_name,
            job_id=r.job_id,
            detail=r.queue_name,
        )
        for r in rows
    ]


async def _fires(session: AsyncSession, params: dict[str, Any]) -> list[Execution]:
    rows = await session.execute(FIRES, params)
    return [
        Execution(
            kind="schedule",
            at=r.fire_at,
            ended_at=None,
            outcome=FIRE_OUTCOME.get(r.job_status, r.job_status),
            task=r.task_name,
            job_id=r.job_id,
            schedule=r.name,
            detail="catch-up run after downtime" if r.catch_up else None,
        )
        for r in rows
    ]


async def _runs(session: AsyncSession, params: dict[str, Any]) -> list[Execution]:
    rows = await session.execute(RUNS, params)
    return [
        Execution(
            kind="ai_run",
            at=r.started_at,
            ended_at=r.finished_at
            or (r.started_at + timedelta(milliseconds=r.duration_ms) if r.duration_ms else None),
            outcome=r.status,
            task="ai:run_ai_task",
            job_id=r.job_id,
            ai_task_id=r.task_id,
            detail=r.error or f"{r.title}: {r.tool_calls} tool call(s)",
        )
        for r in rows
    ]
