"""Monitoring on ``maintenance_tasks``: alert evaluation every minute."""

from __future__ import annotations

from procrastinate import JobContext

from personal_assistant.db.session import session_scope
from personal_assistant.jobs.declare import Domain, JSONResult, Tick
from personal_assistant.jobs.retry import NO_RETRY
from personal_assistant.monitoring.alerts import evaluate_alerts as evaluate
from personal_assistant.settings import get_settings

domain = Domain(namespace="monitoring", queue="maintenance_tasks")


@domain.task(
    name="evaluate_alerts",
    payload=Tick,
    retry=NO_RETRY,  # the next evaluation is a minute away
    timeout=60,
    periodic="* * * * *",
)
async def evaluate_alerts(context: JobContext, payload: Tick) -> JSONResult:
    """Open, update and resolve alert incidents; notify once per incident."""
    async with session_scope() as session:
        report = await evaluate(session, get_settings())
    return report.as_json()
