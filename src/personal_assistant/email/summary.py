"""The daily summary email, at 08:00 in the user's time zone, once per local date.

procrastinate evaluates periodic crons in UTC, so the task runs every quarter hour and
acts on the first run at or after 08:00 local time (within that hour). Every real time
zone's offset is a multiple of 15 minutes, so that run is at 08:00 exactly, in and out
of daylight saving time. The local date is recorded in the same transaction that
queues the email: a second run for that date sends nothing.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from personal_assistant.email.digest import gather, render_html, render_text
from personal_assistant.email.outbox import queue_email
from personal_assistant.errors import BadInput
from personal_assistant.jobs.retry import PermanentError
from personal_assistant.logs import log_fields
from personal_assistant.settings import get_settings

logger = logging.getLogger("personal_assistant.email")

SUMMARY_HOUR = 8

CLAIM_DATE = text(
    """
    INSERT INTO email_daily_summaries (local_date) VALUES (:day)
    ON CONFLICT (local_date) DO NOTHING
    RETURNING local_date
    """
)
LINK_EMAIL = text("UPDATE email_daily_summaries SET outbox_id = :outbox_id WHERE local_date = :day")


class SummaryRecipientInvalid(PermanentError):
    """PA_SUMMARY_EMAIL_TO is not a valid list of addresses."""


async def send_daily_summary(
    session: AsyncSession, *, at: datetime, force: bool = False
) -> dict[str, Any]:
    """Queue the summary for ``at``'s local date if it is time and not done yet.

    ``force`` skips the 08:00 check (a manual run), never the once-per-date record.
    """
    settings = get_settings()
    zone = ZoneInfo(settings.user_timezone)
    local = at.astimezone(zone)
    day = local.date()
    if not settings.summary_email_to:
        return {"sent": False, "reason": "PA_SUMMARY_EMAIL_TO is not set"}
    if not force and local.hour != SUMMARY_HOUR:
        return {"sent": False, "reason": f"it is {local:%H:%M} in {zone.key}, not 08:xx"}
    if (await session.execute(CLAIM_DATE, {"day": day})).first() is None:
        return {"sent": False, "reason": f"already sent for {day.isoformat()}"}
    digest = await gather(session, until=at, zone=zone)
    try:
        outbox_id = await queue_email(
            session,
            to=settings.summary_email_to,
            subject=f"Daily summary for {day.isoformat()}",
            text=render_text(digest),
            html=render_html(digest),
        )
    except BadInput as exc:
        raise SummaryRecipientInvalid(f"PA_SUMMARY_EMAIL_TO: {exc}") from None
    await session.execute(LINK_EMAIL, {"outbox_id": outbox_id, "day": day})
    logger.info(
        "daily summary for %s queued",
        day.isoformat(),
        extra=log_fields("email_daily_summary", outbox_id=outbox_id),
    )
    return {"sent": True, "local_date": day.isoformat(), "outbox_id": outbox_id}
