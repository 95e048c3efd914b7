"""Deliver one outbox email: claim it, hand it over, record what the server said.

Each state change commits on its own, so a worker killed at any instant leaves a row
that says how far it got:

- ``queued``: nothing is in flight. The next attempt may send it.
- ``sending`` without ``handed_over_at``: claimed, but the content never left. A rerun
  (or the outbox sweep) sends it again safely.
- ``sending`` with ``handed_over_at``: the content went to the server and its reply was
  not recorded. It may have been delivered, so it is never re-sent automatically: it is
  marked failed with that reason (at most once for this window; everywhere else the
  email is retried until it is delivered, at least once). An explicit retry re-sends it
  with the same Message-ID, so the receiver can tell the copy.
- ``sent`` and ``failed`` are final; a rerun of the job changes nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from personal_assistant.db.session import session_scope
from personal_assistant.email.smtp import (
    OutcomeUnknown,
    Outgoing,
    PermanentRejection,
    TransientRejection,
    deliver,
)
from personal_assistant.errors import AssistantError
from personal_assistant.jobs.retry import PermanentError
from personal_assistant.logs import log_fields
from personal_assistant.resilience.breaker import BreakerPolicy, CircuitOpen, call_through
from personal_assistant.settings import get_settings

logger = logging.getLogger("personal_assistant.email")

UNKNOWN_OUTCOME = (
    "delivery outcome unknown: the message was handed to the SMTP server but its reply "
    "was not recorded; it is not sent again automatically, so it cannot arrive twice "
    "(`pa-tasks email retry ID` re-sends it with the same Message-ID)"
)

CLAIM = text(
    """
    SELECT status, handed_over_at IS NOT NULL AS handed_over, recipients, subject,
           text_body, html_body, message_id, created_at
      FROM email_outbox WHERE id = :id FOR UPDATE
    """
)
TAKE = text(
    """
    UPDATE email_outbox
       SET status = 'sending', attempts = attempts + 1, handed_over_at = NULL,
           updated_at = now()
     WHERE id = :id
    RETURNING attempts
    """
)
HAND_OVER = text(
    "UPDATE email_outbox SET handed_over_at = now(), updated_at = now() WHERE id = :id"
)
SENT = text(
    """
    UPDATE email_outbox
       SET status = 'sent', sent_at = now(), last_error = NULL, updated_at = now()
     WHERE id = :id
    """
)
REQUEUE = text(
    """
    UPDATE email_outbox
       SET status = 'queued', handed_over_at = NULL, last_error = :error, updated_at = now()
     WHERE id = :id
    """
)
# A claim given back without trying (open circuit): the attempt did not happen.
RELEASE = text(
    """
    UPDATE email_outbox
       SET status = 'queued', attempts = attempts - 1, handed_over_at = NULL,
           updated_at = now()
     WHERE id = :id
    """
)
# Every worker's deliveries share one breaker: after repeated connection errors and 4xx
# replies, emails wait for the cool-down instead of hammering the server. A 5xx refusal
# is about one message, not the server's health, and does not count.
SMTP_BREAKER = "smtp"
SMTP_POLICY = BreakerPolicy(failure_threshold=5, window_seconds=60.0, cooldown_seconds=30.0)

FAIL = text(
    "UPDATE email_outbox SET status = 'failed', last_error = :error, updated_at = now() WHERE id = :id"
)


class EmailMissing(PermanentError):
    """No such email in the outbox."""


class SmtpTemporaryFailure(AssistantError):
    """The SMTP server could not take the email now; it will be tried again."""


class SmtpPermanentFailure(PermanentError):
    """The SMTP server refused the email."""


class SmtpNotConfigured(PermanentError):
    """PA_SMTP_HOST is not set: there is no server to send to."""


NOT_CONFIGURED = "SMTP is not configured: set PA_SMTP_HOST (and PA_SMTP_PORT) to send email"


class DeliveryOutcomeUnknown(PermanentError):
    """The email may or may not have been delivered; it is not re-sent automatically."""


@dataclass(frozen=True)
class Claim:
    """What the claim found: a message to send now, or the final status it already has."""

    outgoing: Outgoing | None = None
    attempts: int = 0
    final_status: str | None = None
    outcome_unknown: bool = False


async def mark_outcome_unknown(session: AsyncSession, outbox_id: int) -> None:
    await session.execute(FAIL, {"id": outbox_id, "error": UNKNOWN_OUTCOME})
    logger.warning(
        "email %s: delivery outcome unknown, marked failed",
        outbox_id,
        extra=log_fields("email_outcome_unknown", outbox_id=outbox_id),
    )


async def claim(session: AsyncSession, outbox_id: int) -> Claim:
    row = (await session.execute(CLAIM, {"id": outbox_id})).first()
    if row is None:
        raise EmailMissing(f"no email with id {outbox_id} in the outbox")
    if row.status in ("sent", "failed"):
        return Claim(final_status=row.status)
    if row.status == "sending" and row.handed_over:
        await mark_outcome_unknown(session, outbox_id)
        return Claim(final_status="failed", outcome_unknown=True)
    attempts = (await session.execute(TAKE, {"id": outbox_id})).scalar_one()
    outgoing = Outgoing(
        recipients=list(row.recipients),
        subject=row.subject,
        text_body=row.text_body,
        html_body=row.html_body,
        message_id=row.message_id,
        created_at=row.created_at,
    )
    return Claim(outgoing=outgoing, attempts=attempts)


async def _record(statement: Any, outbox_id: int, error: str | None = None) -> None:
    async with session_scope() as session:
        await session.execute(statement, {"id": outbox_id, "error": error})


async def send_outbox_email(outbox_id: int) -> dict[str, Any]:
    """Deliver the email once; raise to retry (transient) or to fail the job (permanent)."""
    settings = get_settings()
    async with session_scope() as session:
        claimed = await claim(session, outbox_id)
    if claimed.outcome_unknown:
        raise DeliveryOutcomeUnknown(f"email {outbox_id}: {UNKNOWN_OUTCOME}")
    if claimed.outgoing is None:
        return {"outbox_id": outbox_id, "status": claimed.final_status, "already": True}
    if not settings.smtp_configured:
        # No retry can help: fail the email now rather than spend its attempts.
        await _record(FAIL, outbox_id, NOT_CONFIGURED)
        _log_failed(outbox_id, NOT_CONFIGURED)
        raise SmtpNotConfigured(f"email {outbox_id}: {NOT_CONFIGURED}")

    async def hand_over() -> None:
        await _record(HAND_OVER, outbox_id)

    outgoing = claimed.outgoing
    try:
        reply = await call_through(
            SMTP_BREAKER,
            SMTP_POLICY,
            lambda: deliver(outgoing, settings, hand_over),
            counts_as_failure=lambda exc: isinstance(exc, TransientRejection | OutcomeUnknown),
        )
    except CircuitOpen:
        await _record(RELEASE, outbox_id)  # nothing was tried: the attempt does not count
        raise
    except TransientRejection as exc:
        raise await _transient_failure(outbox_id, claimed.attempts, str(exc)) from None
    except PermanentRejection as exc:
        await _record(FAIL, outbox_id, f"refused by the SMTP server: {exc}")
        _log_failed(outbox_id, str(exc))
        raise SmtpPermanentFailure(f"email {outbox_id} refused by the SMTP server: {exc}") from None
    except OutcomeUnknown as exc:
        await _record(FAIL, outbox_id, f"{UNKNOWN_OUTCOME}; connection lost: {exc}")
        _log_failed(outbox_id, str(exc))
        raise DeliveryOutcomeUnknown(f"email {outbox_id}: {UNKNOWN_OUTCOME}") from None

    await _record(SENT, outbox_id)
    logger.info(
        "email %s sent",
        outbox_id,
        extra=log_fields("email_sent", outbox_id=outbox_id, attempts=claimed.attempts),
    )
    return {
        "outbox_id": outbox_id,
        "status": "sent",
        "message_id": outgoing.message_id,
        "attempts": claimed.attempts,
        "reply": reply,
    }


async def _transient_failure(outbox_id: int, attempts: int, reason: str) -> AssistantError:
    """Record a failed attempt that may succeed later; return the error the job raises."""
    if attempts >= get_settings().email_max_attempts:
        error = f"gave up after {attempts} attempts; last: {reason}"
        await _record(FAIL, outbox_id, error)
        _log_failed(outbox_id, error)
        return SmtpPermanentFailure(f"email {outbox_id}: {error}")
    await _record(REQUEUE, outbox_id, reason)
    logger.info(
        "email %s not sent yet (attempt %d): %s",
        outbox_id,
        attempts,
        reason,
        extra=log_fields("email_retry", outbox_id=outbox_id, attempts=attempts),
    )
    return SmtpTemporaryFailure(f"email {outbox_id} not sent yet: {reason}")


def _log_failed(outbox_id: int, reason: str) -> None:
    logger.warning(
        "email %s failed: %s",
        outbox_id,
        reason,
        extra=log_fields("email_failed", outbox_id=outbox_id),
    )
