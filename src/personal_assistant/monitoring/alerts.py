"""Alerts on the queue's health, raised once per incident, resolved automatically.

Two conditions, per queue:

* ``failure_rate``: over the last ``PA_ALERT_WINDOW_MINUTES``, at least
  ``PA_ALERT_MIN_JOBS`` jobs finished and the share that failed (for good: retries still
  pending do not count) is ``PA_ALERT_FAILURE_RATE`` or more;
* ``oldest_todo``: the oldest job that is due now has waited more than
  ``PA_ALERT_OLDEST_TODO_SECONDS`` (no worker on the queue, or too few).

Each evaluation compares the conditions that hold with the open incidents: a new
condition opens an incident and notifies once; a condition that still holds updates its
incident silently; an incident whose condition no longer holds is resolved (and that is
notified too). Evaluations are serialised by an advisory lock and an open incident is
unique per key, so concurrent evaluations cannot raise an incident twice. The
notification is written in the same transaction as the incident: both or neither.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy import func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from personal_assistant.db.session import raw_connection
from personal_assistant.logs import log_fields
from personal_assistant.monitoring.models import AlertIncident
from personal_assistant.monitoring.snapshot import OLDEST_TODO
from personal_assistant.notifications.service import notify
from personal_assistant.settings import Settings

logger = logging.getLogger("personal_assistant.monitoring")


LOCK = text("SELECT pg_advisory_xact_lock(hashtext('personal_assistant.alert_evaluation'))")

FINISHED_IN_WINDOW = text(
    """
    SELECT job.queue_name,
           count(*) FILTER (WHERE event.type = 'failed') AS failed,
           count(*) AS finished
      FROM procrastinate_events event
      JOIN procrastinate_jobs job ON job.id = event.job_id
     WHERE event.type IN ('succeeded', 'failed')
       AND event.at > now() - make_interval(mins => :window)
     GROUP BY job.queue_name
    """
)


@dataclass(frozen=True)
class Condition:
    key: str
    kind: str
    value: float
    threshold: float
    detail: str


@dataclass
class AlertReport:
    opened: list[str] = field(default_factory=list)
    resolved: list[str] = field(default_factory=list)
    still_open: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, list[str]]:
        return {"opened": self.opened, "resolved": self.resolved, "still_open": self.still_open}


async def current_conditions(session: AsyncSession, settings: Settings) -> dict[str, Condition]:
    """The alert conditions that hold now, by key."""
    found: dict[str, Condition] = {}
    window = settings.alert_window_minutes
    rows = await session.execute(FINISHED_IN_WINDOW, {"window": window})
    for queue, failed, finished in rows:
        rate = failed / finished
        if finished >= settings.alert_min_jobs and rate >= settings.alert_failure_rate:
            found[f"failure_rate:{queue}"] = Condition(
                key=f"failure_rate:{queue}",
                kind="failure_rate",
                value=rate,
                threshold=settings.alert_failure_rate,
                detail=(
                    f"{queue}: {failed} of {finished} jobs finished in the last {window} min "
                    f"failed ({rate:.0%}; limit {settings.alert_failure_rate:.0%})"
                ),
            )
    raw = await raw_connection(session)
    limit = settings.alert_oldest_todo_seconds
    for queue, age in await (await raw.execute(OLDEST_TODO)).fetchall():
        if age is not None and age > limit:
            found[f"oldest_todo:{queue}"] = Condition(
                key=f"oldest_todo:{queue}",
                kind="oldest_todo",
                value=float(age),
                threshold=limit,
                detail=f"{queue}: the oldest due job has waited {age:.0f} s (limit {limit:g} s)",
            )
    return found


async def evaluate_alerts(session: AsyncSession, settings: Settings) -> AlertReport:
    await session.execute(LOCK)
    holding = await current_conditions(session, settings)
    open_rows = (
        await session.execute(
            select(AlertIncident.id, AlertIncident.key, AlertIncident.detail).where(
                AlertIncident.resolved_at.is_(None)
            )
        )
    ).all()
    report = AlertReport()
    for incident_id, key, detail in open_rows:
        condition = holding.pop(key, None)
        if condition is None:
            await _resolve(session, settings, incident_id, key, detail)
            report.resolved.append(key)
        else:
            await session.execute(
                update(AlertIncident)
                .where(AlertIncident.id == incident_id)
                .values(last_value=condition.value, detail=condition.detail, updated_at=func.now())
            )
            report.still_open.append(key)
    for condition in holding.values():
        if await _open(session, settings, condition):
            report.opened.append(condition.key)
    return report


async def _open(session: AsyncSession, settings: Settings, condition: Condition) -> bool:
    opened = await session.execute(
        insert(AlertIncident)
        .values(
            key=condition.key,
            kind=condition.kind,
            last_value=condition.value,
            threshold=condition.threshold,
            detail=condition.detail,
        )
        .on_conflict_do_nothing(index_elements=["key"], index_where=text("resolved_at IS NULL"))
        .returning(AlertIncident.id)
    )
    incident_id = opened.scalar_one_or_none()
    if incident_id is None:
        return False
    await send(
        session,
        settings,
        subject=f"Alert: {_title(condition.key)}",
        body=condition.detail,
        action="alert_raised",
        key=condition.key,
    )
    await session.execute(
        update(AlertIncident).where(AlertIncident.id == incident_id).values(notified=True)
    )
    return True


async def _resolve(
    session: AsyncSession, settings: Settings, incident_id: int, key: str, detail: str
) -> None:
    await session.execute(
        update(AlertIncident)
        .where(AlertIncident.id == incident_id)
        .values(resolved_at=func.now(), updated_at=func.now())
    )
    await send(
        session,
        settings,
        subject=f"Resolved: {_title(key)}",
        body=f"No longer true: {detail}",
        action="alert_resolved",
        key=key,
    )


async def send(
    session: AsyncSession, settings: Settings, *, subject: str, body: str, action: str, key: str
) -> bool:
    """Log the alert; also notify the configured user (``PA_ALERT_USER_ID``) when set.

    Returns whether a notification was written (False: the log line is all there is).
    """
    level = logging.WARNING if action == "alert_raised" else logging.INFO
    logger.log(level, "%s: %s", subject, body, extra=log_fields(action, alert_key=key))
    if settings.alert_user_id is None:
        return False
    await notify(
        session,
        user_id=settings.alert_user_id,
        channel=settings.alert_channel,
        subject=subject,
        body=body,
        source=f"alert:{key}",
    )
    return True


def _title(key: str) -> str:
    """An incident key in words, e.g. "failure rate on email_tasks"."""
    kind, _, queue = key.partition(":")
    return f"{kind.replace('_', ' ')} on {queue}"
