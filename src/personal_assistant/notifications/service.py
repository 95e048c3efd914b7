"""Create a notification and defer its delivery in the caller's transaction."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from personal_assistant.errors import BadInput
from personal_assistant.jobs.enqueue import defer
from personal_assistant.jobs.lookup import resolve_task
from personal_assistant.notifications.models import CHANNELS, Notification

DELIVERY_TASK = "notifications:notify"
SUBJECT_MAX_CHARS = 500


def check_channel(channel: str) -> str:
    if channel not in CHANNELS:
        raise BadInput(f"unknown notification channel {channel!r}; use {', '.join(CHANNELS)}")
    return channel


def check_channel_ready(channel: str, user_id: str) -> str:
    """The channel, if it can reach ``user_id`` with the current settings; else BadInput.

    A channel that cannot deliver is refused when a task is set up, not found out by a
    failing notification later.
    """
    from personal_assistant.notifications.channels import NotConfigured, email_address_of
    from personal_assistant.settings import get_settings

    check_channel(channel)
    settings = get_settings()
    if channel == "webhook" and not settings.notify_webhook_url:
        raise BadInput("the webhook channel is not configured: set PA_NOTIFY_WEBHOOK_URL")
    if channel == "email":
        if not settings.smtp_configured:
            raise BadInput("the email channel needs SMTP: set PA_SMTP_HOST (and PA_SMTP_PORT)")
        try:
            email_address_of(user_id)
        except NotConfigured as exc:
            raise BadInput(f"the email channel cannot reach the user: {exc}") from None
    return channel


async def notify(
    session: AsyncSession,
    *,
    user_id: str,
    channel: str,
    subject: str,
    body: str,
    source: str | None = None,
) -> int:
    """Insert the notification and defer its delivery job; both commit with the caller."""
    check_channel(channel)
    if not user_id.strip():
        raise BadInput("a notification needs a user id")
    row = Notification(
        user_id=user_id,
        channel=channel,
        subject=subject.strip()[:SUBJECT_MAX_CHARS] or "(no subject)",
        body=body,
        status="pending",
        attempts=0,
        source=source,
    )
    session.add(row)
    await session.flush()
    await defer(session, resolve_task(DELIVERY_TASK), {"notification_id": row.id})
    return row.id


async def notifications_from(session: AsyncSession, source: str) -> list[Notification]:
    """The notifications a given source (e.g. "ai_task:12") produced, oldest first."""
    query = select(Notification).where(Notification.source == source).order_by(Notification.id)
    return list((await session.execute(query)).scalars())


async def failed_notifications(
    session: AsyncSession, source: str, limit: int = 5
) -> list[Notification]:
    """The newest notifications from ``source`` that failed, or failed once and wait to retry."""
    query = (
        select(Notification)
        .where(Notification.source == source, Notification.last_error.is_not(None))
        .where(Notification.status != "delivered")
        .order_by(Notification.id.desc())
        .limit(limit)
    )
    return list((await session.execute(query)).scalars())
