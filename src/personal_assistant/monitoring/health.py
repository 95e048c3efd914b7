"""``pa-tasks health``: is the whole system able to do its work? One verdict per part.

Each check is ``ok``, ``warn`` (worth a look, not broken) or ``fail`` (broken: the
command exits non-zero). Failing: database unreachable, schema not at head or drifted,
no live worker, an open circuit breaker, a scheduler heartbeat older than
``PA_SCHEDULER_HEARTBEAT_MAX_AGE_SECONDS``. Warnings: stale worker rows, stalled jobs
(the rescue requeues them within a minute), half-open breakers, paused queues, a
worker's resource guard holding heavy queues back, a backlog older than
``PA_ALERT_OLDEST_TODO_SECONDS``, no scheduler heartbeat yet, SMTP not configured.
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import psycopg
import sqlalchemy.exc
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from personal_assistant.db import migrate
from personal_assistant.db.session import raw_connection, session_scope
from personal_assistant.errors import AssistantError
from personal_assistant.jobs.queue_control import QueueControl, queue_controls
from personal_assistant.jobs.resource_guard import WorkerGuardState, live_guard_states
from personal_assistant.monitoring.heartbeat import latest_heartbeat
from personal_assistant.monitoring.snapshot import Snapshot, read_snapshot_async
from personal_assistant.settings import Settings

DatabaseErrors = (psycopg.Error, sqlalchemy.exc.DBAPIError, OSError, TimeoutError)


@dataclass(frozen=True)
class Check:
    name: str
    status: str  # ok | warn | fail
    detail: str


@dataclass(frozen=True)
class HealthReport:
    checks: list[Check]

    @property
    def healthy(self) -> bool:
        return all(check.status != "fail" for check in self.checks)

    @property
    def failures(self) -> list[Check]:
        return [check for check in self.checks if check.status == "fail"]

    def as_json(self) -> dict[str, Any]:
        return {"healthy": self.healthy, "checks": [asdict(check) for check in self.checks]}


async def health_report(settings: Settings) -> HealthReport:
    timeout = settings.monitoring_timeout_seconds
    try:
        async with asyncio.timeout(timeout * 2), session_scope() as session:
            await session.execute(text("SELECT 1"))
    except DatabaseErrors as exc:
        return HealthReport([Check("database", "fail", f"cannot reach it: {_first_line(exc)}")])
    checks = [Check("database", "ok", "answers")]
    checks.append(await _schema_check())
    try:
        async with asyncio.timeout(timeout * 3), session_scope() as session:
            await _statement_timeout(session, timeout)
            snapshot = await read_snapshot_async(
                await raw_connection(session), settings.stalled_after_seconds
            )
    except DatabaseErrors as exc:
        checks.append(Check("queue", "fail", f"cannot read the queue: {_first_line(exc)}"))
        return HealthReport(checks)
    checks += [
        workers_check(snapshot),
        stalled_check(snapshot),
        backlog_check(snapshot, settings.alert_oldest_todo_seconds),
        breakers_check(snapshot),
        await _scheduler_check(settings.scheduler_heartbeat_max_age_seconds, timeout),
        *await _flow_checks(timeout),
        smtp_check(settings),
    ]
    return HealthReport(checks)


async def _schema_check() -> Check:
    try:
        heads = await asyncio.to_thread(migrate.check)
    except AssistantError as exc:
        return Check("schema", "fail", str(exc))
    except DatabaseErrors as exc:
        return Check("schema", "fail", f"cannot read the revision: {_first_line(exc)}")
    return Check("schema", "ok", f"at head ({heads})")


def workers_check(snapshot: Snapshot) -> Check:
    live, stale = snapshot.live_workers, snapshot.stale_workers
    stale_text = f"; stale worker ids: {_ids(stale)}" if stale else ""
    if not live:
        return Check("workers", "fail", f"no live worker (none heartbeating){stale_text}")
    return Check("workers", "warn" if stale else "ok", f"{len(live)} live{stale_text}")


def stalled_check(snapshot: Snapshot) -> Check:
    stalled = snapshot.stalled_jobs
    if not stalled:
        return Check("stalled jobs", "ok", "none")
    return Check(
        "stalled jobs",
        "warn",
        f"{len(stalled)} ({_ids(stalled)}); the rescue requeues them within a minute",
    )


def backlog_check(snapshot: Snapshot, limit: float) -> Check:
    late = {q: age for q, age in sorted(snapshot.oldest_todo_seconds.items()) if age > limit}
    if not late:
        return Check("backlog", "ok", f"no due job waiting over {limit:g} s")
    waiting = ", ".join(f"{queue} {age:.0f} s" for queue, age in late.items())
    return Check("backlog", "warn", f"oldest due job waiting: {waiting} (limit {limit:g} s)")


def breakers_check(snapshot: Snapshot) -> Check:
    open_ = [name for name, state in snapshot.breakers.items() if state == "open"]
    half_open = [name for name, state in snapshot.breakers.items() if state == "half_open"]
    if open_:
        return Check("breakers", "fail", f"open: {', '.join(open_)}")
    if half_open:
        return Check("breakers", "warn", f"half open: {', '.join(half_open)}")
    if not snapshot.breakers:
        return Check("breakers", "ok", "none yet")
    return Check("breakers", "ok", f"{len(snapshot.breakers)} closed")


def smtp_check(settings: Settings) -> Check:
    if not settings.smtp_configured:
        return Check("smtp", "warn", "not configured: email cannot be sent; set PA_SMTP_HOST")
    return Check("smtp", "ok", f"{settings.smtp_host}:{settings.smtp_port}")


async def _scheduler_check(max_age: float, step_seconds: float) -> Check:
    try:
        async with asyncio.timeout(step_seconds * 2), session_scope() as session:
            latest = await latest_heartbeat(session)
            now: datetime = (await session.execute(text("SELECT now()"))).scalar_one()
    except DatabaseErrors as exc:
        return Check("scheduler", "fail", f"cannot read heartbeats: {_first_line(exc)}")
    if latest is None:
        return Check("scheduler", "warn", "no scheduler heartbeat yet")
    age = (now - latest).total_seconds()
    if age > max_age:
        return Check("scheduler", "fail", f"last heartbeat {age:.0f} s ago (limit {max_age:g} s)")
    return Check("scheduler", "ok", f"last heartbeat {age:.0f} s ago")


async def _flow_checks(step_seconds: float) -> list[Check]:
    try:
        async with asyncio.timeout(step_seconds * 2), session_scope() as session:
            controls = await queue_controls(session)
            guards = await live_guard_states(session)
    except DatabaseErrors as exc:
        return [Check("queues", "fail", f"cannot read queue controls: {_first_line(exc)}")]
    return [paused_check(list(controls.values())), guard_check(guards)]


def paused_check(controls: list[QueueControl]) -> Check:
    paused = [c for c in controls if c.paused]
    if not paused:
        return Check("paused queues", "ok", "none")
    detail = "; ".join(
        f"{c.queue} by {c.paused_by or '?'}" + (f": {c.pause_reason}" if c.pause_reason else "")
        for c in paused
    )
    return Check("paused queues", "warn", detail)


def guard_check(guards: list[WorkerGuardState]) -> Check:
    engaged = [g for g in guards if g.held_queues]
    if not engaged:
        return Check("resource guard", "ok", f"not engaged ({len(guards)} worker(s) guarding)")
    detail = "; ".join(
        f"worker {g.worker_name or g.worker_id} holds back {g.detail}" for g in engaged
    )
    return Check("resource guard", "warn", detail)


async def _statement_timeout(session: AsyncSession, seconds: float) -> None:
    await session.execute(text(f"SET LOCAL statement_timeout = {int(seconds * 1000)}"))


def _ids(ids: list[int], limit: int = 10) -> str:
    shown = ", ".join(str(i) for i in ids[:limit])
    return shown + (f" and {len(ids) - limit} more" if len(ids) > limit else "")


def _first_line(exc: BaseException) -> str:
    text_ = str(getattr(exc, "orig", None) or exc).strip()
    return text_.splitlines()[0] if text_ else type(exc).__name__
