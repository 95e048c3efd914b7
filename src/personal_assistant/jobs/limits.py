"""Per-key concurrency and rate limits, enforced across every worker through PostgreSQL.

- ``ConcurrencyLimit("sync:{user_id}", 1)``: at most N jobs at once per key. Each running
  job holds one of N session advisory locks for its key on a connection of its own;
  PostgreSQL releases the lock the moment that connection or its worker dies, so a
  crashed worker never leaks a slot.
- ``RateLimit("llm", 30, per_seconds=60)``: at most R starts per sliding window per key.
  Starts are rows in ``rate_limit_starts``, counted under a transaction-scoped advisory
  lock on the key, so two workers cannot both take the last start.

Keys are format strings over the job's payload. A job that finds its limit reached is not
failed: it raises ``RescheduleError`` and goes back to its queue for a little later.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import psycopg

from personal_assistant.jobs.retry import RescheduleError

# Two-int advisory lock space reserved for concurrency slots.
SLOT_LOCK_CLASS = 0x50410001


class LimitReached(RescheduleError):
    """The task's concurrency or rate limit is reached; the job will run a little later."""


@dataclass(frozen=True)
class ConcurrencyLimit:
    key: str
    limit: int
    retry_after_seconds: float = 2.0

    def resolve(self, args: Mapping[str, Any]) -> str:
        return self.key.format_map(dict(args))


@dataclass(frozen=True)
class RateLimit:
    key: str
    limit: int
    per_seconds: float
    # Never retry sooner than this, so a burst of waiting jobs does not spin.
    min_retry_seconds: float = 0.5

    def resolve(self, args: Mapping[str, Any]) -> str:
        return self.key.format_map(dict(args))


Limit = ConcurrencyLimit | RateLimit

TRY_SLOT = "SELECT pg_try_advisory_lock(%s, hashtext(%s) # %s)"
LOCK_KEY = "SELECT pg_advisory_xact_lock(hashtext('rate:' || %(key)s))"
COUNT_STARTS = """
SELECT count(*),
       EXTRACT(EPOCH FROM (min(started_at) + make_interval(secs => %(per)s) - clock_timestamp()))
  FROM rate_limit_starts
 WHERE key = %(key)s AND started_at > clock_timestamp() - make_interval(secs => %(per)s)
"""
RECORD_START = (
    "INSERT INTO rate_limit_starts (key, job_id, started_at) VALUES (%s, %s, clock_timestamp())"
)
FORGET_OLD = """
DELETE FROM rate_limit_starts
 WHERE key = %(key)s AND started_at < clock_timestamp() - make_interval(secs => %(per)s)
"""


@asynccontextmanager
async def enforced(
    limits: tuple[Limit, ...], args: Mapping[str, Any], job_id: int | None, url: str
) -> AsyncIterator[None]:
    """Hold every limit's permission for the duration of the block, or raise LimitReached."""
    if not limits:
        yield
        return
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        for limit in limits:
            if isinstance(limit, RateLimit):
                await _take_start(conn, limit, limit.resolve(args), job_id)
            else:
                await _take_slot(conn, limit, limit.resolve(args))
        # Closing the connection releases the slots' session locks.
        yield


async def _take_slot(conn: psycopg.AsyncConnection[Any], limit: ConcurrencyLimit, key: str) -> None:
    for slot in random.sample(range(limit.limit), limit.limit):  # nosec B311: jitter, not secrecy
        row = await (await conn.execute(TRY_SLOT, (SLOT_LOCK_CLASS, key, slot))).fetchone()
        if row and row[0]:
            return
    raise LimitReached(
        f"{limit.limit} job(s) already running for {key!r}",
        delay_seconds=limit.retry_after_seconds * (1 + random.random()),  # nosec B311: jitter, not secrecy
    )


async def _take_start(
    conn: psycopg.AsyncConnection[Any], limit: RateLimit, key: str, job_id: int | None
) -> None:
    params = {"key": key, "per": limit.per_seconds}
    async with conn.transaction():
        await conn.execute(LOCK_KEY, params)
        row = await (await conn.execute(COUNT_STARTS, params)).fetchone()
        assert row is not None
        used, free_in = int(row[0]), row[1]
        if used >= limit.limit:
            wait = max(float(free_in or 0.0), limit.min_retry_seconds)
            raise LimitReached(
                f"{key!r} reached {limit.limit} starts per {limit.per_seconds:g} s",
                delay_seconds=wait + random.random() * limit.min_retry_seconds,  # nosec B311: jitter, not secrecy
            )
        await conn.execute(RECORD_START, (key, job_id))
        await conn.execute(FORGET_OLD, params)
