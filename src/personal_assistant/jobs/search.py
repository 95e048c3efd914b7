"""Find jobs by status, queue, task, time, lock and argument, fast on millions of rows.

Listing is keyset-paginated (newest first, ``id < before``) and counting stops at a cap,
so no query reads more than a page's worth of index beyond what it returns. Jobs carry
no creation time: ids grow as jobs are deferred, so a time range becomes an id range
found from the first ``deferred`` event on each side (index ``pa_events_type_at``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import TextClause, text
from sqlalchemy.ext.asyncio import AsyncSession

from personal_assistant.errors import BadInput
from personal_assistant.jobs.inspect import JOB_COLUMNS, STATUSES, JobView

COUNT_CAP = 10_000
_AGO = re.compile(r"^(\d{1,6})\s*([smhdw])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}(\.[A-Za-z_][A-Za-z0-9_]{0,63}){0,4}$")

FIRST_ID_SINCE = """COALESCE((SELECT e.job_id FROM procrastinate_events e
    WHERE e.type = 'deferred' AND e.at >= :since ORDER BY e.type, e.at LIMIT 1),
    9223372036854775807)"""
LAST_ID_UNTIL = """COALESCE((SELECT e.job_id FROM procrastinate_events e
    WHERE e.type = 'deferred' AND e.at <= :until ORDER BY e.type DESC, e.at DESC LIMIT 1), 0)"""


@dataclass(frozen=True)
class JobFilter:
    status: str | None = None
    queue: str | None = None
    task: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    lock: str | None = None
    # JSON object the job's args must contain (``@>``), built from ``key:value``.
    args: dict[str, Any] | None = None

    @property
    def empty(self) -> bool:
        return all(getattr(self, f.name) is None for f in fields(self))

    def where(self) -> tuple[str, dict[str, Any]]:
        """SQL conditions on ``job`` and their bound parameters (never interpolated)."""
        clauses: list[str] = []
        params: dict[str, Any] = {}
        if self.status is not None:
            clauses.append("job.status = CAST(:status AS procrastinate_job_status)")
            params["status"] = self.status
        if self.queue is not None:
            clauses.append("job.queue_name = :queue")
            params["queue"] = self.queue
        if self.task is not None:
            clauses.append("job.task_name = :task")
            params["task"] = self.task
        if self.since is not None:
            clauses.append(f"job.id >= {FIRST_ID_SINCE}")
            params["since"] = self.since
        if self.until is not None:
            clauses.append(f"job.id <= {LAST_ID_UNTIL}")
            params["until"] = self.until
        if self.lock is not None:
            clauses.append("(job.lock = :lock OR job.queueing_lock = :lock)")
            params["lock"] = self.lock
        if self.args is not None:
            clauses.append("job.args @> CAST(:args AS jsonb)")
            params["args"] = json.dumps(self.args)
        return (" AND ".join(clauses) or "true"), params


def parse_filter(
    *,
    status: str | None = None,
    queue: str | None = None,
    task: str | None = None,
    since: str | None = None,
    until: str | None = None,
    lock: str | None = None,
    arg: str | None = None,
    now: datetime | None = None,
) -> JobFilter:
    """Check text filters (from a form or a command line); a bad one is one clear line."""
    status, queue, task, lock, arg = (_blank(v) for v in (status, queue, task, lock, arg))
    if status is not None and status not in STATUSES:
        raise BadInput(f"unknown status {status!r}; statuses are {', '.join(STATUSES)}")
    for name, value in (("queue", queue), ("task", task), ("lock", lock)):
        if value is not None and len(value) > 200:
            raise BadInput(f"{name} is too long (at most 200 characters)")
    moment = now or datetime.now(UTC)
    return JobFilter(
        status=status,
        queue=queue,
        task=task,
        since=_instant("since", since, moment),
        until=_instant("until", until, moment),
        lock=lock,
        args=parse_arg(arg) if arg is not None else None,
    )


def parse_arg(text_: str) -> dict[str, Any]:
    """``key:value`` (``a.b:value`` for nested keys) as a JSON object; the value is JSON
    when it parses as JSON (``n:3``, ``flag:true``, ``tags:["x"]``), else a string."""
    key, sep, raw = text_.partition(":")
    key = key.strip()
    if not sep or not _KEY.match(key):
        raise BadInput(
            f"argument filter {text_[:80]!r} is not key:value (e.g. user:ada, count:3, a.b:x)"
        )
    if len(raw) > 1000:
        raise BadInput("argument filter value is too long (at most 1000 characters)")
    raw = raw.strip()
    try:
        value: Any = json.loads(raw)
    except ValueError:
        value = raw
    for part in reversed(key.split(".")):
        value = {part: value}
    result: dict[str, Any] = value
    return result


def _blank(value: str | None) -> str | None:
    return value.strip() or None if value is not None else None


def _instant(name: str, value: str | None, now: datetime) -> datetime | None:
    value = _blank(value)
    if value is None:
        return None
    ago = _AGO.match(value)
    if ago:
        return now - timedelta(seconds=int(ago.group(1)) * _UNIT_SECONDS[ago.group(2)])
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise BadInput(
            f"{name} {value[:40]!r} is neither an ISO time (2026-11-30T08:00) "
            "nor an age such as 15m, 6h, 7d"
        ) from None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


@dataclass(frozen=True)
class JobPage:
    jobs: list[JobView]
    # The id to pass as ``before`` for the next (older) page, or None on the last page.
    next_before: int | None


# The filter's fixed clauses replace {where} (and the job columns {columns}); every value
# in them is a bound parameter.
LIST = """SELECT {columns} FROM procrastinate_jobs job
     WHERE {where} AND (CAST(:before AS bigint) IS NULL OR job.id < :before)
     ORDER BY job.id DESC LIMIT :limit"""
COUNT = "SELECT count(*) FROM (SELECT 1 FROM procrastinate_jobs job WHERE {where} LIMIT :cap) m"
IDS = """SELECT job.id FROM procrastinate_jobs job
     WHERE {where} AND (CAST(:before AS bigint) IS NULL OR job.id < :before)
     ORDER BY job.id DESC LIMIT :limit"""


def _query(template: str, flt: JobFilter) -> tuple[TextClause, dict[str, Any]]:
    where, params = flt.where()
    return text(template.replace("{where}", where).replace("{columns}", JOB_COLUMNS)), params


async def search_jobs(
    session: AsyncSession, flt: JobFilter, *, before: int | None = None, limit: int = 50
) -> JobPage:
    query, params = _query(LIST, flt)
    rows = (await session.execute(query, {**params, "before": before, "limit": limit + 1})).all()
    jobs = [JobView.from_row(row) for row in rows[:limit]]
    return JobPage(jobs=jobs, next_before=jobs[-1].id if len(rows) > limit else None)


async def count_jobs(session: AsyncSession, flt: JobFilter, *, cap: int = COUNT_CAP) -> int:
    """How many jobs match, counted up to ``cap + 1`` (more than ``cap`` means "cap+")."""
    query, params = _query(COUNT, flt)
    return int((await session.execute(query, {**params, "cap": cap + 1})).scalar_one())


async def matching_ids(
    session: AsyncSession, flt: JobFilter, *, before: int | None, limit: int
) -> list[int]:
    query, params = _query(IDS, flt)
    rows = await session.execute(query, {**params, "before": before, "limit": limit})
    return [int(row[0]) for row in rows]
