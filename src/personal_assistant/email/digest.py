"""What the daily summary reports: the last day's AI task runs and failed jobs, and the
next day's calendar events.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

LISTED = 20

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
AI_RUNS = text(
    """
    SELECT status, count(*) FROM ai_task_runs
     WHERE finished_at >= :since AND finished_at < :until
     GROUP BY 1 ORDER BY 1
    """
)


@dataclass
class Digest:
    since: datetime
    until: datetime
    zone: ZoneInfo
    jobs_succeeded: int = 0
    jobs_failed: int = 0
    failed_jobs: list[tuple[int, str, datetime]] = field(default_factory=list)
    ai_runs: dict[str, int] = field(default_factory=dict)
    events: list[tuple[str, datetime]] = field(default_factory=list)

    def local(self, moment: datetime) -> str:
        return moment.astimezone(self.zone).strftime("%a %d %b %H:%M")


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
    digest.ai_runs = {
        str(status): int(count) for status, count in await session.execute(AI_RUNS, window)
    }
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
    lines.append("")
    runs = ", ".join(f"{count} {status}" for status, count in digest.ai_runs.items())
    lines.append(f"AI task runs: {runs or 'none'}.")
    lines.append("")
    lines.append(
        "Calendar, next 24 hours:" if digest.events else "Calendar: nothing in the next 24 hours."
    )
    for summary, starts in digest.events:
        lines.append(f"  - {digest.local(starts)}  {summary}")
    return "\n".join(lines) + "\n"


def render_html(digest: Digest) -> str:
    """The text version in a pre block: readable everywhere, nothing to go out of sync."""
    return f"<html><body><pre>{html.escape(render_text(digest))}</pre></body></html>\n"
