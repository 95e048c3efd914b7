"""The dispatcher of stored schedules, on ``maintenance_tasks``."""

from __future__ import annotations

from datetime import timedelta

from procrastinate import JobContext

from personal_assistant.db.session import session_scope
from personal_assistant.jobs.declare import Domain, JSONResult, Tick
from personal_assistant.jobs.retry import NO_RETRY
from personal_assistant.schedules.dispatcher import dispatch_due
from personal_assistant.settings import get_settings

domain = Domain(namespace="schedules", queue="maintenance_tasks")


@domain.task(name="dispatch_schedules", payload=Tick, retry=NO_RETRY, periodic="* * * * *")
async def dispatch_schedules(context: JobContext, payload: Tick) -> JSONResult:
    """Defer every stored schedule's runs due in the next few minutes, at their exact time."""
    settings = get_settings()
    async with session_scope() as session:
        report = await dispatch_due(
            session,
            lookahead=timedelta(seconds=settings.schedule_lookahead_seconds),
            misfire_grace=timedelta(hours=settings.schedule_misfire_grace_hours),
        )
    return report.as_json()
