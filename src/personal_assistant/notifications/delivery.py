"""Deliver one notification, once.

The row is locked (``SELECT ... FOR UPDATE``) for the whole delivery: a second job for
the same notification waits, then finds it delivered and does nothing. A failed attempt
is recorded on the row (its writes to other tables are rolled back to a savepoint) and
the error is raised again so the job's retry policy decides what comes next.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from sqlalchemy import select

from personal_assistant.db.session import session_scope
from personal_assistant.jobs.retry import PermanentError, RescheduleError
from personal_assistant.logs import log_fields
from personal_assistant.notifications.channels import SENDERS
from personal_assistant.notifications.models import Notification

logger = logging.getLogger("personal_assistant.notifications")

ERROR_MAX_CHARS = 500


@dataclass(frozen=True)
class DeliveryReport:
    notification_id: int
    status: str
    channel: str | None = None
    attempts: int = 0

    def as_json(self) -> dict[str, object]:
        return asdict(self)


async def deliver_notification(
    notification_id: int, *, will_retry: Callable[[BaseException], bool]
) -> DeliveryReport:
    """Send the notification on its channel unless it was already delivered."""
    failure: Exception | None = None
    async with session_scope() as session:
        query = select(Notification).where(Notification.id == notification_id).with_for_update()
        row = (await session.execute(query)).scalar_one_or_none()
        if row is None:
            return DeliveryReport(notification_id, "missing")
        if row.status == "delivered":
            return DeliveryReport(notification_id, "already_delivered", row.channel, row.attempts)
        row.attempts += 1
        try:
            async with session.begin_nested():
                await session.connection()
                await SENDERS[row.channel](session, row)
        except RescheduleError:
            raise  # not an attempt: the whole transaction rolls back
        except Exception as exc:
            failure = exc
            final = isinstance(exc, PermanentError) or not will_retry(exc)
            row.status = "failed" if final else "pending"
            row.last_error = f"{type(exc).__name__}: {exc}"[:ERROR_MAX_CHARS]
        else:
            row.status = "delivered"
            row.delivered_at = datetime.now(UTC)
            row.last_error = None
        report = DeliveryReport(notification_id, row.status, row.channel, row.attempts)
    _log(report, failure)
    if failure is not None:
        raise failure
    return report


def _log(report: DeliveryReport, failure: Exception | None) -> None:
    if failure is None:
        logger.info(
            "notification %s delivered by %s",
            report.notification_id,
            report.channel,
            extra=log_fields("notification_delivered", report.as_json()),
        )
        return
    logger.warning(
        "notification %s not delivered (attempt %s): %s",
        report.notification_id,
        report.attempts,
        failure,
        extra=log_fields(f"notification_{report.status}", report.as_json()),
    )
