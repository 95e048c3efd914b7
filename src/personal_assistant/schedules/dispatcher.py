"""Defer the runs of stored schedules that fall due within the look-ahead window.

Runs are deferred ahead of time with ``schedule_at`` at their exact instant, so they
start on time whatever the dispatcher's own cadence. A run missed while no worker was up
(its first due time more than ``MISSED_AFTER`` late) follows the schedule's misfire
policy, for every run due up to now:

- ``run_once``: the missed runs collapse into one run, now, provided the latest missed
  time is within the misfire grace (``PA_SCHEDULE_MISFIRE_GRACE_HOURS``); else none runs;
- ``skip``: missed runs are dropped.

Either way the schedule resumes at its next future time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from personal_assistant.jobs.enqueue import JobOptions, defer
from personal_assistant.jobs.lookup import resolve_task
from personal_assistant.schedule_text.types import Schedule
from personal_assistant.schedules.models import ScheduleFire, StoredSchedule
from personal_assistant.schedules.service import rule_of

MISSED_AFTER = timedelta(seconds=60)
# Bounds the work one dispatch does for a very frequent schedule.
MAX_FIRES_PER_SCHEDULE = 500
MAX_MISSED_COUNTED = 100_000


@dataclass
class DispatchReport:
    fired: int = 0
    caught_up: int = 0
    skipped: int = 0
    schedules: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        return {
            "fired": self.fired,
            "caught_up": self.caught_up,
            "skipped": self.skipped,
            "schedules": self.schedules,
        }


async def dispatch_due(
    session: AsyncSession,
    *,
    lookahead: timedelta,
    misfire_grace: timedelta,
    now: datetime | None = None,
) -> DispatchReport:
    now = now or datetime.now(UTC)
    due = await session.execute(
        select(StoredSchedule)
        .where(StoredSchedule.enabled, StoredSchedule.next_run_at <= now + lookahead)
        .order_by(StoredSchedule.next_run_at)
        .with_for_update(skip_locked=True)
    )
    report = DispatchReport()
    for row in due.scalars():
        await _dispatch_one(session, row, now, now + lookahead, misfire_grace, report)
    return report


async def _dispatch_one(
    session: AsyncSession,
    row: StoredSchedule,
    now: datetime,
    horizon: datetime,
    misfire_grace: timedelta,
    report: DispatchReport,
) -> None:
    rule = rule_of(row)
    at = row.next_run_at
    assert at is not None
    if at < now - MISSED_AFTER:
        at = await _handle_misfire(session, row, rule, at, now, misfire_grace, report)
    fired = 0
    while at is not None and at <= horizon and fired < MAX_FIRES_PER_SCHEDULE:
        if await _fire(session, row, at, schedule_at=at, catch_up=False):
            report.fired += 1
        row.last_run_at = at
        fired += 1
        at = rule.next_after(at)
    row.next_run_at = at
    if at is None:
        row.enabled = False
    report.schedules.append(row.name)


async def _handle_misfire(
    session: AsyncSession,
    row: StoredSchedule,
    rule: Schedule,
    first_missed: datetime,
    now: datetime,
    grace: timedelta,
    report: DispatchReport,
) -> datetime | None:
    # Everything due up to now is part of the outage, even the runs only seconds late.
    latest_missed, missed = first_missed, 1
    following = rule.next_after(first_missed)
    while following is not None and following <= now and missed < MAX_MISSED_COUNTED:
        latest_missed, missed = following, missed + 1
        following = rule.next_after(following)
    if row.misfire_policy == "run_once" and now - latest_missed <= grace:
        if await _fire(session, row, latest_missed, schedule_at=now, catch_up=True):
            report.caught_up += 1
        row.last_run_at = latest_missed
        missed -= 1
    report.skipped += missed
    while following is not None and following <= now:  # only after MAX_MISSED_COUNTED
        following = rule.next_after(following)
    return following


async def _fire(
    session: AsyncSession,
    row: StoredSchedule,
    fire_at: datetime,
    *,
    schedule_at: datetime,
    catch_up: bool,
) -> bool:
    """Record the run and defer its job in the caller's transaction; False if it existed."""
    claimed = await session.execute(
        insert(ScheduleFire)
        .values(schedule_id=row.id, fire_at=fire_at, catch_up=catch_up)
        .on_conflict_do_nothing()
        .returning(ScheduleFire.schedule_id)
    )
    if claimed.first() is None:
        return False
    job_id = await defer(
        session,
        resolve_task(row.task_name),
        row.args,
        JobOptions(schedule_at=schedule_at, queue=row.queue, priority=row.priority),
    )
    await session.execute(
        update(ScheduleFire)
        .where(ScheduleFire.schedule_id == row.id, ScheduleFire.fire_at == fire_at)
        .values(job_id=job_id)
    )
    return True
