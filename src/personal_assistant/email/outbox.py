"""The outbox: queue an email with its send job in one transaction, list, retry, sweep.

Every email row is paired with an ``email:send_email`` job whose procrastinate ``lock``
is ``email:<id>``: two jobs for one email never run at once, and the sweep can tell
whether an email still has a job waiting or running.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from email.utils import parseaddr
from typing import Any

from procrastinate.tasks import Task
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from personal_assistant.email.addresses import checked_body, checked_recipients, checked_subject
from personal_assistant.email.models import STATUSES, OutboxEmail
from personal_assistant.email.send import mark_outcome_unknown
from personal_assistant.errors import BadInput, NotFound
from personal_assistant.jobs.enqueue import JobOptions, defer
from personal_assistant.jobs.lookup import resolve_task
from personal_assistant.logs import log_fields
from personal_assistant.settings import get_settings

logger = logging.getLogger("personal_assistant.email")

SEND_TASK = "email:send_email"

# Unsent emails with no job waiting or running: their job was failed by the rescue
# after repeated crashes, cancelled, exhausted its retries, or pruned.
ORPHANS = text(
    """
    SELECT o.id, o.status, o.handed_over_at IS NOT NULL AS handed_over
      FROM email_outbox o
     WHERE o.status IN ('queued', 'sending')
       AND NOT EXISTS (
             SELECT 1 FROM procrastinate_jobs j
              WHERE j.lock = 'email:' || o.id AND j.status IN ('todo', 'doing'))
     ORDER BY o.id
     FOR UPDATE OF o SKIP LOCKED
    """
)
LIVE_JOBS = text(
    """
    SELECT o.id FROM email_outbox o
     WHERE o.id = ANY(:ids)
       AND EXISTS (SELECT 1 FROM procrastinate_jobs j
                    WHERE j.lock = 'email:' || o.id AND j.status IN ('todo', 'doing'))
    """
)
STATUS_FOR_UPDATE = text("SELECT status FROM email_outbox WHERE id = :id FOR UPDATE")
RETRY = text(
    """
    UPDATE email_outbox
       SET status = 'queued', attempts = 0, handed_over_at = NULL, updated_at = now()
     WHERE id = :id
    """
)
REQUEUE = text(
    """
    UPDATE email_outbox SET status = 'queued', handed_over_at = NULL, updated_at = now()
     WHERE id = :id
    """
)


def send_lock(outbox_id: int) -> str:
    return f"email:{outbox_id}"


def new_message_id() -> str:
    """``<random@domain of PA_SMTP_FROM>``: unique, and the same on every attempt."""
    domain = parseaddr(get_settings().smtp_from)[1].rpartition("@")[2] or "localhost"
    return f"<{uuid.uuid4().hex}@{domain}>"


def _send_task() -> Task[Any, Any, Any]:
    # By name: services do not import task modules (those import the services).
    return resolve_task(SEND_TASK)


async def defer_send(session: AsyncSession, outbox_id: int) -> int:
    return await defer(
        session, _send_task(), {"outbox_id": outbox_id}, JobOptions(lock=send_lock(outbox_id))
    )


async def queue_email(
    session: AsyncSession, *, to: list[str], subject: str, text: str, html: str | None = None
) -> int:
    """Write the email and defer its delivery in the caller's transaction; return its id."""
    email = OutboxEmail(
        recipients=checked_recipients(to),
        subject=checked_subject(subject),
        text_body=checked_body(text),
        html_body=html if html and html.strip() else None,
        status="queued",
        attempts=0,
        message_id=new_message_id(),
    )
    session.add(email)
    await session.flush()
    job_id = await defer_send(session, email.id)
    logger.info(
        "email %s queued for %d recipient(s)",
        email.id,
        len(email.recipients),
        extra=log_fields("email_queued", outbox_id=email.id, job_id=job_id),
    )
    return email.id


@dataclass(frozen=True)
class EmailView:
    id: int
    status: str
    recipients: list[str]
    subject: str
    attempts: int
    last_error: str | None
    message_id: str
    created_at: datetime
    updated_at: datetime
    sent_at: datetime | None
    # An unsent email whose send job ended (failed, cancelled): the outbox sweep gives it
    # a new job within 5 minutes. Shown, so "queued" never hides a failed job.
    job_ended: bool = False

    @property
    def shown_status(self) -> str:
        if self.job_ended:
            return f"{self.status}, send job ended; re-queued within 5 min"
        return self.status

    @classmethod
    def of(cls, email: OutboxEmail, job_ended: bool = False) -> EmailView:
        return cls(
            job_ended=job_ended,
            id=email.id,
            status=email.status,
            recipients=list(email.recipients),
            subject=email.subject,
            attempts=email.attempts,
            last_error=email.last_error,
            message_id=email.message_id,
            created_at=email.created_at,
            updated_at=email.updated_at,
            sent_at=email.sent_at,
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status,
            "recipients": self.recipients,
            "subject": self.subject,
            "attempts": self.attempts,
            "last_error": self.last_error,
            "message_id": self.message_id,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "sent_at": self.sent_at.isoformat() if self.sent_at else None,
            "job_ended": self.job_ended,
        }


def check_status(status: str | None) -> None:
    if status is not None and status not in STATUSES:
        raise BadInput(f"unknown email status {status!r}; statuses are {', '.join(STATUSES)}")


async def list_emails(
    session: AsyncSession, *, status: str | None = None, limit: int = 50
) -> list[EmailView]:
    check_status(status)
    query = select(OutboxEmail).order_by(OutboxEmail.id.desc()).limit(limit)
    if status is not None:
        query = query.where(OutboxEmail.status == status)
    emails = (await session.scalars(query)).all()
    unsent = [e.id for e in emails if e.status in ("queued", "sending")]
    live: set[int] = set()
    if unsent:
        live = set((await session.execute(LIVE_JOBS, {"ids": unsent})).scalars())
    return [EmailView.of(e, job_ended=e.id in unsent and e.id not in live) for e in emails]


async def retry_email(session: AsyncSession, outbox_id: int) -> int:
    """Queue a failed email again, with a fresh attempt budget; return the new job's id.

    It keeps its Message-ID, so a receiver that already got it (delivery outcome
    unknown) can recognise the copy.
    """
    status = (await session.execute(STATUS_FOR_UPDATE, {"id": outbox_id})).scalar_one_or_none()
    if status is None:
        raise NotFound(f"no email with id {outbox_id}; `pa-tasks email list` shows them")
    if status != "failed":
        raise BadInput(f"email {outbox_id} is {status}; only a failed email can be retried")
    await session.execute(RETRY, {"id": outbox_id})
    return await defer_send(session, outbox_id)


@dataclass(frozen=True)
class SweepReport:
    requeued: list[int]
    failed: list[int]

    def as_json(self) -> dict[str, list[int]]:
        return {"requeued": self.requeued, "failed": self.failed}


async def sweep_outbox(session: AsyncSession) -> SweepReport:
    """Give every unsent email with no job a new one, except one whose outcome is unknown.

    An email left ``sending`` after its content was handed to the SMTP server may have
    been delivered: it is marked failed (at most once), never re-sent blindly.
    """
    requeued: list[int] = []
    failed: list[int] = []
    for outbox_id, status, handed_over in (await session.execute(ORPHANS)).all():
        if status == "sending" and handed_over:
            await mark_outcome_unknown(session, outbox_id)
            failed.append(outbox_id)
            continue
        await session.execute(REQUEUE, {"id": outbox_id})
        await defer_send(session, outbox_id)
        requeued.append(outbox_id)
    if requeued or failed:
        logger.info(
            "outbox sweep: %d requeued, %d failed",
            len(requeued),
            len(failed),
            extra=log_fields("email_sweep", requeued=requeued, failed=failed),
        )
    return SweepReport(requeued=requeued, failed=failed)
