"""Outcomes per time bucket (finished, failed, p95 attempt duration) for the charts.

A bucket that has ended does not change (outcome events are written when they happen),
so ended buckets are kept in memory per database and only the current one is read
again: a page view reads at most one bucket's events, however long the window.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

BUCKETS = text(
    """
    WITH outcome AS (
        SELECT e.job_id, e.type, e.at FROM procrastinate_events e
         WHERE e.type IN ('succeeded', 'failed') AND e.at >= :start AND e.at < :end
    )
    SELECT floor(EXTRACT(EPOCH FROM o.at - :start) / :width)::int AS bucket,
           count(*) AS finished,
           count(*) FILTER (WHERE o.type = 'failed') AS failed,
           percentile_cont(0.95) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM o.at - s.at))
               AS p95
      FROM outcome o
      LEFT JOIN LATERAL (
            SELECT max(started.at) AS at FROM procrastinate_events started
             WHERE started.job_id = o.job_id AND started.type = 'started'
               AND started.at <= o.at) s ON true
     GROUP BY 1
    """
)
# An ended bucket is cached only once this long has passed, for late commits.
SETTLE = timedelta(seconds=10)


@dataclass(frozen=True)
class Bucket:
    start: datetime
    finished: int
    failed: int
    p95_seconds: float | None


@dataclass(frozen=True)
class Window:
    name: str
    width: timedelta
    count: int


HOUR = Window("hour", timedelta(minutes=1), 60)
DAY = Window("day", timedelta(hours=1), 24)

_cache: dict[tuple[str, float, float], Bucket] = {}


def _floor(at: datetime, width: timedelta) -> datetime:
    seconds = width.total_seconds()
    return datetime.fromtimestamp(math.floor(at.timestamp() / seconds) * seconds, UTC)


async def buckets(session: AsyncSession, window: Window, now: datetime, key: str) -> list[Bucket]:
    """The window's buckets, oldest first, the last one being the current (partial) one."""
    width = window.width
    current = _floor(now, width)
    starts = [current - width * i for i in range(window.count - 1, -1, -1)]
    cached = {s: _cache.get((key, width.total_seconds(), s.timestamp())) for s in starts}
    missing = [s for s in starts if cached[s] is None]
    if missing:
        first = missing[0]
        params = {"start": first, "end": current + width, "width": width.total_seconds()}
        rows = {int(r.bucket): r for r in await session.execute(BUCKETS, params)}
        for start in missing:
            row = rows.get(int((start - first) / width))
            bucket = Bucket(
                start=start,
                finished=int(row.finished) if row else 0,
                failed=int(row.failed) if row else 0,
                p95_seconds=float(row.p95) if row and row.p95 is not None else None,
            )
            cached[start] = bucket
            if start + width + SETTLE <= now:
                _cache[(key, width.total_seconds(), start.timestamp())] = bucket
        _evict(now)
    return [b for s in starts if (b := cached[s]) is not None]


def _evict(now: datetime) -> None:
    horizon = (now - timedelta(days=2)).timestamp()
    for entry in [k for k in _cache if k[2] < horizon]:
        del _cache[entry]
