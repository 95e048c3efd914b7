"""What the daily summary reports: the last day's AI task runs and failed jobs, and the
next day's calendar events.

AI task runs and calendar events belong to other parts of the product that may not be
installed: their tables are looked up with ``to_regclass`` first and skipped if absent.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

LISTED = 20

TABLE_EXISTS = text("SELECT to_regclass(:name) IS NOT NULL")
COLUMNS = text(
    """
    SELECT column_name FROM information_schema.columns
     WHERE table_schema = current_schema() AND table_name = :name
    """
)
JOB_OUTCOMES = text(
    """
    SELECT type::text AS outcome, count(*) AS jobs FROM procrastinate_events
     WHERE type IN ('succeeded', 'failed') AND at >= :since AND at < :until
     GROUP BY 1
    """
)
FAILED_JOBS = text(
    """
    SELECT job.id, job.task_name, max(event.at) AS failed_at
      FROM procrastinate_jobs job
      JOIN procrastinate_events event ON event.job_id = job.id AND event.type = 'failed'
     WHERE job.status = 'failed' AND event.at >= :since AND event.at < :until
     GROUP BY job.id, job.task_name
     ORDER BY failed_at DESC
     LIMIT :limit
    """
)
UPCOMING_EVENTS = text(
    """
    SELECT summary, starts_at FROM calendar_events
     WHERE starts_at >= :since AND starts_at < :until
       AND coalesce(upper(status), '') <> 'CANCELLED'
     ORDER BY starts_at
     LIMIT :limit
    """
)
# Columns the AI runs table may use for "when" and "how it went", in order of preference.
AI_RUN_TIME_COLUMNS = ("finished_at", "completed_at", "started_at", "created_at")


@dataclass
class Digest:
    since: datetime
    until: datetime
    zone: ZoneInfo
    jobs_succeeded: int = 0
    jobs_failed: int = 0
    failed_jobs: list[tuple[int, str, datetime]] = field(default_factory=list)
    ai_runs: dict[str, int] | None = None  # None: no AI runs table
    events: list[tuple[str, datetime]] | None = None  # None: no calendar

    def local(self, moment: datetime) -> str:
        return moment.astimezone(self.zone).strftime("%a %d %b %H:%M")


async def _table_exists(session: AsyncSession, name: str) -> bool:
    return bool((await session.execute(TABLE_EXISTS, {"name": name})).scalar())


async def _ai_runs(session: AsyncSession, since: datetime, until: datetime) -> dict[str, int]:
    columns = set((await session.execute(COLUMNS, {"name": "ai_task_runs"})).scalars())
    when = next((c for c in AI_RUN_TIME_COLUMNS if c in columns), None)
    if when is None:
        return {}
    status = "status::text" if "status" in columns else "'run'"
    # Column names come from the fixed list above, never from input.
    query = text(
        f"SELECT {status} AS status, count(*) FROM ai_task_runs"
        f" WHERE {when} >= :since AND {when} < :until GROUP BY 1 ORDER BY 1"  # nosec B608: the interpolated pieces are constants
    )
    rows = await session.execute(query, {"since": since, "until": until})
    return {str(row[0]): int(row[1]) for row in rows}


async def gather(session: AsyncSession, *, until: datetime, zone: ZoneInfo) -> Digest:
    since = until - timedelta(days=1)
    digest = Digest(since=since, until=until, zone=zone)
    window = {"since": since, "until": until}
    for outcome, jobs in await session.execute(JOB_OUTCOMES, window):
        if outcome == "succeeded":
            digest.jobs_succeeded = jobs
        else:
            digest.jobs_failed = jobs
    digest.failed_jobs = [
        (row.id, row.task_name, row.failed_at)
        for row in await session.execute(FAILED_JOBS, {**window, "limit": LISTED})
    ]
    if await _table_exists(session, "ai_task_runs"):
        digest.ai_runs = await _ai_runs(session, since, until)
    if await _table_exists(session, "calendar_events"):
        ahead = {"since": until, "until": until + timedelta(days=1), "limit": LISTED}
        digest.events = [
            (row.summary, row.starts_at) for row in await session.execute(UPCOMING_EVENTS, ahead)
        ]
    return digest


def render_text(digest: Digest) -> str:
    lines = [f"Summary of the last 24 hours, until {digest.local(digest.until)}.", ""]
    lines.append(f"Jobs: {digest.jobs_succeeded} succeeded, {digest.jobs_failed} failed.")
    for job_id, task, at in digest.failed_jobs:
        lines.append(f"  - failed: {task} (job {job_id}) at {digest.local(at)}")
    if digest.ai_runs is not None:
        lines.append("")
        runs = ", ".join(f"{count} {status}" for status, count in digest.ai_runs.items())
        lines.append(f"AI task runs: {runs or 'none'}.")
    if digest.events is not None:
        lines.append("")
        lines.append(
            "Calendar, next 24 hours:"
            if digest.events
            else "Calendar: nothing in the next 24 hours."
        )
        for summary, starts in digest.events:
            lines.append(f"  - {digest.local(starts)}  {summary}")
    return "\n".join(lines) + "\n"


def render_html(digest: Digest) -> str:
    """The text version in a pre block: readable everywhere, nothing to go out of sync."""
    return f"<html><body><pre>{html.escape(render_text(digest))}</pre></body></html>\n"
