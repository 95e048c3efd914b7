"""Email on ``email_tasks``: deliver outbox emails, sweep the outbox, the daily summary.

Periodic cadences are cron expressions that procrastinate evaluates in UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime

from procrastinate import JobContext
from pydantic import Field

from personal_assistant.db.session import session_scope
from personal_assistant.email.outbox import sweep_outbox
from personal_assistant.email.send import send_outbox_email
from personal_assistant.email.summary import send_daily_summary
from personal_assistant.jobs.declare import Domain, JSONResult, Payload, Tick
from personal_assistant.jobs.retry import DEFAULT, NETWORK, NO_RETRY

domain = Domain(namespace="email", queue="email_tasks")


class SendEmailPayload(Payload):
    outbox_id: int = Field(gt=0)


class SummaryTick(Tick):
    # Send now whatever the hour (still at most once per local date).
    force: bool = False


@domain.task(name="send_email", payload=SendEmailPayload, retry=NETWORK, timeout=300)
async def send_email(context: JobContext, payload: SendEmailPayload) -> JSONResult:
    """Deliver one outbox email over SMTP; never twice once the server may have it."""
    return await send_outbox_email(payload.outbox_id)


@domain.task(
    name="process_email_queue",
    payload=Tick,
    retry=NO_RETRY,  # the next sweep is 5 minutes away
    timeout=120,
    periodic="*/5 * * * *",
)
async def process_email_queue(context: JobContext, payload: Tick) -> JSONResult:
    """Re-queue unsent emails that have no job waiting or running."""
    async with session_scope() as session:
        report = await sweep_outbox(session)
    return report.as_json()


@domain.task(
    name="send_daily_email_summary",
    payload=SummaryTick,
    retry=DEFAULT,
    timeout=300,
    periodic="*/15 * * * *",  # acts at 08:00 in PA_USER_TIMEZONE (see email/summary.py)
)
async def send_daily_email_summary(context: JobContext, payload: SummaryTick) -> JSONResult:
    """Email the day's summary at 08:00 local time, once per day."""
    at = datetime.fromtimestamp(payload.timestamp, UTC) if payload.timestamp else datetime.now(UTC)
    async with session_scope() as session:
        return await send_daily_summary(session, at=at, force=payload.force)
