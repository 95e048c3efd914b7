"""Tell the user that a chain stopped: a log line, and a notification to the user who
receives operational alerts (``PA_ALERT_USER_ID`` on ``PA_ALERT_CHANNEL``) when one is set.

The notification is written in the transaction that marks the chain failed, so the
two are committed together.
"""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from personal_assistant.errors import BadInput
from personal_assistant.logs import log_fields
from personal_assistant.notifications.service import notify
from personal_assistant.settings import get_settings

logger = logging.getLogger("personal_assistant.chains")


async def report_failure(session: AsyncSession, chain_id: int, error: str) -> None:
    logger.warning(
        "chain %s failed: %s",
        chain_id,
        error,
        extra=log_fields("chain_failed", chain_id=chain_id),
    )
    settings = get_settings()
    if settings.alert_user_id is None:
        return
    try:
        await notify(
            session,
            user_id=settings.alert_user_id,
            channel=settings.alert_channel,
            subject=f"Job chain {chain_id} failed",
            body=error,
            source=f"chain:{chain_id}",
        )
    except BadInput as exc:  # a misconfigured channel must not hide the chain's failure
        logger.warning(
            "chain %s: no notification sent: %s",
            chain_id,
            exc,
            extra=log_fields("chain_notify_failed", chain_id=chain_id),
        )
