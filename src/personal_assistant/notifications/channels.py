"""How a notification reaches its user: a log line, an email, or a signed webhook POST.

The email channel hands the message to the email outbox in the delivery's transaction,
so it is queued exactly once. The webhook channel is behind the "webhook" breaker; its
receiver can de-duplicate on ``X-PA-Notification-Id`` (a POST whose answer was lost is
sent again) and refuse a request whose signed ``X-PA-Timestamp`` is old (a replay).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Awaitable, Callable

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from personal_assistant.email.outbox import queue_email
from personal_assistant.errors import BadInput
from personal_assistant.jobs.retry import PermanentError
from personal_assistant.logs import log_fields
from personal_assistant.notifications.models import Notification
from personal_assistant.resilience.breaker import BreakerPolicy, call_through
from personal_assistant.settings import get_settings
from personal_assistant.transport import warn_if_cleartext

logger = logging.getLogger("personal_assistant.notifications")

WEBHOOK_BREAKER = "webhook"
WEBHOOK_POLICY = BreakerPolicy(failure_threshold=5, window_seconds=60.0, cooldown_seconds=30.0)
LOGGED_BODY_MAX_CHARS = 2000


class NotConfigured(PermanentError):
    """The channel is not configured."""


class WebhookFailed(Exception):
    """The webhook did not accept the notification; it is tried again."""


class WebhookUnavailable(WebhookFailed):
    """The webhook cannot be reached or answered 429/5xx; counts against its breaker."""


Sender = Callable[[AsyncSession, Notification], Awaitable[None]]


async def send_log(session: AsyncSession, row: Notification) -> None:
    logger.info(
        "notification for %s: %s",
        row.user_id,
        row.subject,
        extra=log_fields(
            "user_notification",
            notification_id=row.id,
            user_id=row.user_id,
            subject=row.subject,
            body=row.body[:LOGGED_BODY_MAX_CHARS],
            source=row.source,
        ),
    )


def email_address_of(user_id: str) -> str:
    settings = get_settings()
    address = settings.notify_user_emails.get(user_id)
    if address:
        return address
    if "@" in user_id:
        return user_id
    if settings.notify_email_to:
        return settings.notify_email_to
    raise NotConfigured(
        f"no email address for user {user_id!r}; set PA_NOTIFY_USER_EMAILS or PA_NOTIFY_EMAIL_TO"
    )


async def send_email(session: AsyncSession, row: Notification) -> None:
    to = email_address_of(row.user_id)
    try:
        await queue_email(session, to=[to], subject=row.subject, text=row.body)
    except BadInput as exc:
        raise PermanentError(f"the email outbox refused the notification: {exc}") from None


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The ``X-PA-Signature`` header's value: ``sha256=<hex HMAC-SHA256>`` of
    ``<timestamp>.<body>``. Signing the time (sent in ``X-PA-Timestamp``) lets a receiver
    refuse an old request replayed to it; the body alone could be replayed forever."""
    signed = str(timestamp).encode() + b"." + body
    return "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def webhook_body(row: Notification) -> bytes:
    document = {
        "id": row.id,
        "user_id": row.user_id,
        "subject": row.subject,
        "body": row.body,
        "source": row.source,
        "created_at": row.created_at.isoformat() if row.created_at else None,
    }
    return json.dumps(document, separators=(",", ":")).encode()


async def send_webhook(session: AsyncSession, row: Notification) -> None:
    settings = get_settings()
    if not settings.notify_webhook_url:
        raise NotConfigured("PA_NOTIFY_WEBHOOK_URL is not set")
    if settings.notify_webhook_secret is None:
        raise NotConfigured("PA_NOTIFY_WEBHOOK_SECRET is not set; webhooks are always signed")
    url = settings.notify_webhook_url
    warn_if_cleartext(url, "the notification webhook", logger)
    body = webhook_body(row)
    # Each attempt is signed at its own time: a retry is not a replay.
    timestamp = int(time.time())
    secret = settings.notify_webhook_secret.get_secret_value()
    headers = {
        "Content-Type": "application/json",
        "X-PA-Notification-Id": str(row.id),
        "X-PA-Timestamp": str(timestamp),
        "X-PA-Signature": signature(secret, timestamp, body),
    }

    async def post() -> None:
        async with httpx.AsyncClient(timeout=settings.notify_webhook_timeout_seconds) as client:
            try:
                response = await client.post(url, content=body, headers=headers)
            except httpx.HTTPError as exc:
                raise WebhookUnavailable(f"webhook unreachable ({type(exc).__name__})") from None
        if response.status_code == 429 or response.status_code >= 500:
            raise WebhookUnavailable(f"webhook answered HTTP {response.status_code}")
        if not response.is_success:
            raise WebhookFailed(f"webhook answered HTTP {response.status_code}")

    await call_through(
        WEBHOOK_BREAKER,
        WEBHOOK_POLICY,
        post,
        counts_as_failure=lambda exc: isinstance(exc, WebhookUnavailable),
    )


SENDERS: dict[str, Sender] = {"log": send_log, "email": send_email, "webhook": send_webhook}
