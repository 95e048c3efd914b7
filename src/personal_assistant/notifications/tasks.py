"""Delivery of notifications, on ``email_tasks``.

Notifications are outbound messages like emails; ``maintenance_tasks`` runs hour-long
vacuums one at a time, which would hold a reminder back.
"""

from __future__ import annotations

from procrastinate import JobContext
from pydantic import Field

from personal_assistant.jobs.declare import Domain, JSONResult, Payload
from personal_assistant.jobs.retry import NETWORK
from personal_assistant.notifications.delivery import deliver_notification

domain = Domain(namespace="notifications", queue="email_tasks")


class NotifyPayload(Payload):
    notification_id: int = Field(gt=0)


@domain.task(name="notify", payload=NotifyPayload, retry=NETWORK, timeout=120)
async def notify(context: JobContext, payload: NotifyPayload) -> JSONResult:
    """Deliver one notification on its channel; a delivered one is never sent again."""
    attempts = context.job.attempts
    report = await deliver_notification(
        payload.notification_id, will_retry=lambda exc: NETWORK.should_retry(exc, attempts)
    )
    return report.as_json()
