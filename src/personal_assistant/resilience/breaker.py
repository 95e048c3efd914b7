"""Circuit breakers shared by every worker, with their state in PostgreSQL.

A breaker opens after ``failure_threshold`` counted failures within ``window_seconds``.
While it is open, calls raise ``CircuitOpen`` (a ``RescheduleError``: the job comes back
after the remaining cool-down) without touching the dependency. Once the cool-down is
over, exactly one caller across all workers claims the half-open probe with a single
conditional UPDATE; its success closes the breaker, its failure opens it again.

State changes commit in short transactions of their own, never in the caller's, so every
worker sees them at once and a caller's rollback cannot undo them. A closed breaker
costs one primary-key read per call and no write on success.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from personal_assistant.db.session import session_scope
from personal_assistant.errors import NotFound, did_you_mean
from personal_assistant.jobs.retry import RescheduleError
from personal_assistant.logs import log_fields
from personal_assistant.resilience.models import CircuitBreakerState

logger = logging.getLogger("personal_assistant.resilience")

T = TypeVar("T")

# A probe whose caller vanished (killed worker) is given back after this long, so a
# breaker cannot stay half-open forever.
PROBE_LEASE_SECONDS = 300.0
# How long a caller that found another worker probing waits before trying again.
PROBE_BUSY_RETRY_SECONDS = 5.0
# Never ask a job to come back sooner than this.
MIN_DELAY_SECONDS = 0.5
ERROR_MAX_CHARS = 300


# The breakers the product's code calls through. Listed (closed) before their first use,
# so an operator sees and may reset each one on a fresh install.
KNOWN_BREAKERS = ("calendar", "llm", "notion", "smtp", "webhook")


class CircuitOpen(RescheduleError):
    """The dependency's circuit breaker is open."""


@dataclass(frozen=True)
class BreakerPolicy:
    failure_threshold: int = 5
    window_seconds: float = 60.0
    cooldown_seconds: float = 30.0


@dataclass(frozen=True)
class BreakerView:
    name: str
    state: str
    failures: int
    window_started_at: datetime | None
    opened_at: datetime | None
    last_error: str | None
    updated_at: datetime | None

    def as_json(self) -> dict[str, Any]:
        return {
            key: value.isoformat() if isinstance(value, datetime) else value
            for key, value in asdict(self).items()
        }


READ = text(
    """
    SELECT state,
           EXTRACT(EPOCH FROM (opened_at + make_interval(secs => :cooldown) - now()))::float8
               AS remaining
      FROM circuit_breakers WHERE name = :name
    """
)
CLAIM_PROBE = text(
    """
    UPDATE circuit_breakers SET state = 'half_open', updated_at = now()
     WHERE name = :name
       AND ((state = 'open' AND opened_at <= now() - make_interval(secs => :cooldown))
            OR (state = 'half_open' AND updated_at <= now() - make_interval(secs => :lease)))
    RETURNING name
    """
)
COUNT_FAILURE = text(
    """
    INSERT INTO circuit_breakers AS b
           (name, state, failures, window_started_at, last_error, updated_at)
    VALUES (:name, 'closed', 1, now(), :error, now())
    ON CONFLICT (name) DO UPDATE SET
        failures = CASE WHEN b.window_started_at > now() - make_interval(secs => :window)
                        THEN b.failures + 1 ELSE 1 END,
        window_started_at = CASE WHEN b.window_started_at > now() - make_interval(secs => :window)
                                 THEN b.window_started_at ELSE now() END,
        last_error = EXCLUDED.last_error,
        updated_at = now()
     WHERE b.state = 'closed'
    RETURNING failures
    """
)
OPEN_IF_OVER = text(
    """
    UPDATE circuit_breakers SET state = 'open', opened_at = now(), updated_at = now()
     WHERE name = :name AND state = 'closed' AND failures >= :threshold
    RETURNING failures
    """
)
REOPEN = text(
    """
    UPDATE circuit_breakers
       SET state = 'open', opened_at = now(), failures = failures + 1, last_error = :error,
           updated_at = now()
     WHERE name = :name AND state = 'half_open'
    RETURNING failures
    """
)
CLOSE = text(
    """
    UPDATE circuit_breakers
       SET state = 'closed', failures = 0, window_started_at = NULL, opened_at = NULL,
           last_error = NULL, updated_at = now()
     WHERE name = :name AND (state = 'half_open' OR :force)
    RETURNING name
    """
)
# The probe's caller was interrupted: the breaker is open again and immediately
# claimable (opened_at is unchanged, so its cool-down is already over).
RELEASE_PROBE = text(
    "UPDATE circuit_breakers SET state = 'open', updated_at = now()"
    " WHERE name = :name AND state = 'half_open'"
)


async def call_through(
    name: str,
    policy: BreakerPolicy,
    call: Callable[[], Awaitable[T]],
    *,
    counts_as_failure: Callable[[BaseException], bool] = lambda exc: True,
) -> T:
    """Await ``call()`` unless ``name``'s breaker is open; count its outcome."""
    probe = await _admit(name, policy)
    try:
        result = await call()
    except Exception as exc:
        if counts_as_failure(exc):
            await _count_failure(name, policy, probe, exc)
        elif probe:
            # The dependency answered (e.g. "bad request"): it is up again.
            await _close(name)
        raise
    except BaseException:
        if probe:
            await _release_probe(name)
        raise
    if probe:
        await _close(name)
    return result


async def _admit(name: str, policy: BreakerPolicy) -> bool:
    """True if this caller holds the half-open probe; raise CircuitOpen if it may not call."""
    params = {"name": name, "cooldown": policy.cooldown_seconds}
    async with session_scope() as session:
        row = (await session.execute(READ, params)).first()
        if row is None or row.state == "closed":
            return False
        if row.state == "open" and row.remaining is not None and row.remaining > 0:
            raise _open_error(name, row.remaining)
        claimed = await session.execute(CLAIM_PROBE, {**params, "lease": _lease(policy)})
        if claimed.first() is None:
            raise _open_error(name, min(policy.cooldown_seconds, PROBE_BUSY_RETRY_SECONDS))
    _log_transition(name, "half_open", "breaker_half_open", "probing with one call")
    return True


async def _count_failure(name: str, policy: BreakerPolicy, probe: bool, exc: BaseException) -> None:
    error = _short_error(exc)
    async with session_scope() as session:
        if probe:
            reopened = (await session.execute(REOPEN, {"name": name, "error": error})).first()
            opened = reopened is not None
        else:
            counted = await session.execute(
                COUNT_FAILURE, {"name": name, "error": error, "window": policy.window_seconds}
            )
            opened = (
                counted.first() is not None
                and (
                    await session.execute(
                        OPEN_IF_OVER, {"name": name, "threshold": policy.failure_threshold}
                    )
                ).first()
                is not None
            )
    if opened:
        reason = "probe failed" if probe else f"{policy.failure_threshold} failures"
        _log_transition(name, "open", "breaker_opened", f"{reason}: {error}")


async def _close(name: str) -> None:
    async with session_scope() as session:
        closed = (await session.execute(CLOSE, {"name": name, "force": False})).first()
    if closed is not None:
        _log_transition(name, "closed", "breaker_closed", "probe succeeded")


async def _release_probe(name: str) -> None:
    try:
        async with session_scope() as session:
            await session.execute(RELEASE_PROBE, {"name": name})
    except Exception:
        # The lease expiry gives the probe back anyway.
        logger.warning("could not release the probe of breaker %s", name, exc_info=True)


def _lease(policy: BreakerPolicy) -> float:
    return max(policy.cooldown_seconds, PROBE_LEASE_SECONDS)


def _open_error(name: str, delay: float) -> CircuitOpen:
    delay = max(MIN_DELAY_SECONDS, float(delay))
    return CircuitOpen(
        f"circuit breaker {name!r} is open; retry in {delay:.1f} s", delay_seconds=delay
    )


def _short_error(exc: BaseException) -> str:
    line = f"{type(exc).__name__}: {exc}".strip().splitlines()[0]
    return line[:ERROR_MAX_CHARS]


def _log_transition(name: str, state: str, action: str, detail: str) -> None:
    logger.log(
        logging.WARNING if state == "open" else logging.INFO,
        "circuit breaker %s is %s (%s)",
        name,
        state,
        detail,
        extra=log_fields(action, breaker=name, state=state),
    )


async def list_breakers(session: AsyncSession) -> list[BreakerView]:
    """Every known breaker (closed until first used) and any other recorded one."""
    rows = await session.execute(select(CircuitBreakerState).order_by(CircuitBreakerState.name))
    views = {
        row.name: BreakerView(
            name=row.name,
            state=row.state,
            failures=row.failures,
            window_started_at=row.window_started_at,
            opened_at=row.opened_at,
            last_error=row.last_error,
            updated_at=row.updated_at,
        )
        for row in rows.scalars()
    }
    for name in KNOWN_BREAKERS:
        views.setdefault(name, BreakerView(name, "closed", 0, None, None, None, None))
    return [views[name] for name in sorted(views)]


async def reset_breaker(session: AsyncSession, name: str) -> None:
    """Close ``name``'s breaker now and forget its failures (an operator's decision).

    A known breaker that never opened is already closed: resetting it is accepted.
    """
    closed = (await session.execute(CLOSE, {"name": name, "force": True})).first()
    if closed is None:
        if name in KNOWN_BREAKERS:
            return
        known = [b.name for b in await list_breakers(session)]
        raise NotFound(
            f"no circuit breaker named {name!r}{did_you_mean(name, known)}; "
            f"known breakers: {', '.join(known)}"
        )
    _log_transition(name, "closed", "breaker_closed", "reset by an operator")
