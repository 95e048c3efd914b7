"""Operator controls of a whole queue: pause, resume and scale, stored in ``queue_controls``.

Every change NOTIFYs ``CHANNEL`` in its own transaction, so workers hear it only once it is
committed (and re-read the table every few seconds in case a notification was missed).
A paused queue still accepts jobs; they wait as ``todo`` until it is resumed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from personal_assistant.errors import BadInput
from personal_assistant.settings import QUEUES, get_settings

CHANNEL = "pa_queue_controls"
NOTIFICATION_TYPE = "queue_control_changed"
MAX_REASON = 500
MAX_BY = 200

COLUMNS = "queue, paused, paused_at, paused_by, pause_reason, concurrency, updated_at, updated_by"
PAUSE = text(
    f"""
    INSERT INTO queue_controls (queue, paused, paused_at, paused_by, pause_reason,
                                updated_at, updated_by)
    VALUES (:queue, true, now(), :by, :reason, now(), :by)
    ON CONFLICT (queue) DO UPDATE
       SET paused = true, paused_at = now(), paused_by = :by, pause_reason = :reason,
           updated_at = now(), updated_by = :by
    RETURNING {COLUMNS}
    """
)
RESUME = text(
    f"""
    INSERT INTO queue_controls (queue, paused, updated_at, updated_by)
    VALUES (:queue, false, now(), :by)
    ON CONFLICT (queue) DO UPDATE
       SET paused = false, paused_at = NULL, paused_by = NULL, pause_reason = NULL,
           updated_at = now(), updated_by = :by
    RETURNING {COLUMNS}
    """
)
SCALE = text(
    f"""
    INSERT INTO queue_controls (queue, concurrency, updated_at, updated_by)
    VALUES (:queue, :n, now(), :by)
    ON CONFLICT (queue) DO UPDATE
       SET concurrency = :n, updated_at = now(), updated_by = :by
    RETURNING {COLUMNS}
    """
)
ALL = text(f"SELECT {COLUMNS} FROM queue_controls ORDER BY queue")
NOTIFY = text("SELECT pg_notify(:channel, :payload)")


@dataclass(frozen=True)
class QueueControl:
    queue: str
    paused: bool = False
    paused_at: datetime | None = None
    paused_by: str | None = None
    pause_reason: str | None = None
    concurrency: int | None = None  # None: the worker's own concurrency applies
    updated_at: datetime | None = None
    updated_by: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "queue": self.queue,
            "paused": self.paused,
            "paused_at": self.paused_at.isoformat() if self.paused_at else None,
            "paused_by": self.paused_by,
            "pause_reason": self.pause_reason,
            "concurrency": self.concurrency,
            "updated_at": self.updated_at.isoformat() if self.updated_at else None,
            "updated_by": self.updated_by,
        }


def check_queue(queue: str) -> str:
    if queue not in QUEUES:
        raise BadInput(f"unknown queue {queue!r}; queues are {', '.join(QUEUES)}")
    return queue


def _check_by(by: str) -> str:
    by = by.strip()
    if not by or len(by) > MAX_BY or not by.isprintable():
        raise BadInput(f"'by' must be 1 to {MAX_BY} printable characters")
    return by


def _check_reason(reason: str | None) -> str | None:
    if reason is None:
        return None
    reason = reason.strip()
    if len(reason) > MAX_REASON or not reason.isprintable():
        raise BadInput(f"the reason must be at most {MAX_REASON} printable characters")
    return reason or None


def check_concurrency(n: int) -> int:
    top = get_settings().queue_max_concurrency
    if isinstance(n, bool) or not isinstance(n, int) or not 0 < n <= top:
        raise BadInput(
            f"concurrency must be a whole number from 1 to {top} (PA_QUEUE_MAX_CONCURRENCY)"
        )
    return n


async def pause_queue(
    session: AsyncSession, queue: str, *, reason: str | None = None, by: str
) -> QueueControl:
    """Stop every worker taking jobs from ``queue``; running jobs finish, new ones wait."""
    params = {"queue": check_queue(queue), "by": _check_by(by), "reason": _check_reason(reason)}
    return await _change(session, PAUSE, params)


async def resume_queue(session: AsyncSession, queue: str, *, by: str) -> QueueControl:
    """Let workers take jobs from ``queue`` again."""
    return await _change(session, RESUME, {"queue": check_queue(queue), "by": _check_by(by)})


async def scale_queue(session: AsyncSession, queue: str, n: int, *, by: str) -> QueueControl:
    """Run up to ``n`` jobs of ``queue`` at once in each worker that serves it."""
    params = {"queue": check_queue(queue), "n": check_concurrency(n), "by": _check_by(by)}
    return await _change(session, SCALE, params)


async def queue_controls(session: AsyncSession) -> dict[str, QueueControl]:
    """The stored controls, by queue; a queue without a row is running, unscaled."""
    rows = (await session.execute(ALL)).mappings().all()
    return {row["queue"]: QueueControl(**row) for row in rows}


async def _change(session: AsyncSession, statement: Any, params: dict[str, Any]) -> QueueControl:
    row = (await session.execute(statement, params)).mappings().one()
    payload = json.dumps({"type": NOTIFICATION_TYPE, "queue": row["queue"]})
    await session.execute(NOTIFY, {"channel": CHANNEL, "payload": payload})
    return QueueControl(**row)
