"""Read-only views of jobs and queues for the CLI, health checks and stats."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from personal_assistant.errors import NotFound

JOB_COLUMNS = """
    job.id, job.task_name, job.queue_name, job.status::text AS status, job.priority,
    job.attempts, job.lock, job.queueing_lock, job.args, job.scheduled_at,
    job.abort_requested, job.worker_id,
    (SELECT min(at) FROM procrastinate_events e WHERE e.job_id = job.id) AS created_at,
    -- A "scheduled" event is stamped with the future run time: it is not an update.
    (SELECT max(at) FROM procrastinate_events e
      WHERE e.job_id = job.id AND e.type <> 'scheduled') AS updated_at
"""

LIST_JOBS = text(
    f"""
    SELECT {JOB_COLUMNS}
      FROM procrastinate_jobs job
     WHERE (CAST(:status AS text) IS NULL OR job.status::text = :status)
       AND (CAST(:queue AS text) IS NULL OR job.queue_name = :queue)
       AND (CAST(:task AS text) IS NULL OR job.task_name = :task)
     ORDER BY job.id DESC
     LIMIT :limit
    """  # nosec B608: the interpolated pieces are constants
)
GET_JOB = text(f"SELECT {JOB_COLUMNS} FROM procrastinate_jobs job WHERE job.id = :id")  # nosec B608: the column list is a constant
EVENTS = text(
    "SELECT type::text AS type, at FROM procrastinate_events WHERE job_id = :id ORDER BY at, id"
)
RESULT = text("SELECT result FROM job_results WHERE job_id = :id")
ERRORS = text(
    """
    SELECT attempt, error_type, message, traceback, worker, failed_at
      FROM job_errors WHERE job_id = :id ORDER BY attempt, id
    """
)
QUEUE_COUNTS = text(
    """
    SELECT queue_name, status::text AS status, count(*) AS jobs
      FROM procrastinate_jobs GROUP BY queue_name, status ORDER BY queue_name, status
    """
)

STATUSES = ("todo", "doing", "succeeded", "failed", "cancelled", "aborting", "aborted")


@dataclass(frozen=True)
class JobView:
    id: int
    task: str
    queue: str
    status: str
    priority: int
    attempts: int
    lock: str | None
    queueing_lock: str | None
    args: dict[str, Any]
    scheduled_at: datetime | None
    abort_requested: bool
    worker_id: int | None
    created_at: datetime | None
    updated_at: datetime | None

    @classmethod
    def from_row(cls, row: Any) -> JobView:
        m = row._mapping
        return cls(
            id=m["id"],
            task=m["task_name"],
            queue=m["queue_name"],
            status=m["status"],
            priority=m["priority"],
            attempts=m["attempts"],
            lock=m["lock"],
            queueing_lock=m["queueing_lock"],
            args=m["args"],
            scheduled_at=m["scheduled_at"],
            abort_requested=m["abort_requested"],
            worker_id=m["worker_id"],
            created_at=m["created_at"],
            updated_at=m["updated_at"],
        )

    def as_json(self) -> dict[str, Any]:
        view: dict[str, Any] = _jsonable(asdict(self))
        return view


@dataclass(frozen=True)
class JobErrorView:
    """One failed attempt: what was raised (secrets masked, traceback's tail kept)."""

    attempt: int
    error_type: str
    message: str
    traceback: str
    worker: str | None
    failed_at: datetime

    def as_json(self) -> dict[str, Any]:
        view: dict[str, Any] = _jsonable(asdict(self))
        return view


@dataclass(frozen=True)
class JobDetail:
    job: JobView
    events: list[dict[str, Any]]
    result: Any
    errors: list[JobErrorView]

    def as_json(self) -> dict[str, Any]:
        return {
            **self.job.as_json(),
            "events": _jsonable(self.events),
            "result": self.result,
            "errors": [e.as_json() for e in self.errors],
        }


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value


async def list_jobs(
    session: AsyncSession,
    *,
    status: str | None = None,
    queue: str | None = None,
    task: str | None = None,
    limit: int = 50,
) -> list[JobView]:
    rows = await session.execute(
        LIST_JOBS, {"status": status, "queue": queue, "task": task, "limit": limit}
    )
    return [JobView.from_row(row) for row in rows]


async def get_job(session: AsyncSession, job_id: int) -> JobDetail:
    row = (await session.execute(GET_JOB, {"id": job_id})).first()
    if row is None:
        raise NotFound(f"no job with id {job_id}; `pa-tasks jobs list` shows existing jobs")
    events = [{"type": e.type, "at": e.at} for e in await session.execute(EVENTS, {"id": job_id})]
    result = (await session.execute(RESULT, {"id": job_id})).scalar_one_or_none()
    errors = await job_errors(session, job_id)
    return JobDetail(job=JobView.from_row(row), events=events, result=result, errors=errors)


async def job_errors(session: AsyncSession, job_id: int) -> list[JobErrorView]:
    """Every failed attempt of the job, oldest first (none for an unknown job)."""
    rows = await session.execute(ERRORS, {"id": job_id})
    return [JobErrorView(**row._mapping) for row in rows]


async def queue_counts(session: AsyncSession) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    for queue, status, jobs in await session.execute(QUEUE_COUNTS):
        counts.setdefault(queue, {})[status] = int(jobs)
    return counts
