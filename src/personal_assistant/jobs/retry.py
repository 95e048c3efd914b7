"""Named retry policies: exponential backoff with full jitter, a cap, and an attempt limit.

Every task declares one of these; no task body retries by itself.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from procrastinate import BaseRetryStrategy, RetryDecision
from procrastinate.exceptions import JobAborted
from procrastinate.jobs import Job

from personal_assistant.errors import AssistantError


class PermanentError(AssistantError):
    """The job failed in a way that another attempt cannot fix."""


class RescheduleError(AssistantError):
    """The job cannot run now (e.g. an open circuit breaker); try again later."""

    def __init__(self, message: str | None = None, *, delay_seconds: float = 60.0) -> None:
        super().__init__(message)
        self.delay_seconds = delay_seconds


@dataclass(frozen=True)
class RetryPolicy(BaseRetryStrategy):
    """Retry ``retry_on`` exceptions up to ``max_retries`` times.

    The n-th retry waits a uniformly random time in ``[0, min(max_delay, base_delay * 2**n)]``
    ("full jitter"): retries of many jobs that failed together spread out instead of
    hammering a recovering dependency at the same instant.
    """

    name: str
    max_retries: int
    base_delay: float = 1.0
    max_delay: float = 300.0
    retry_on: tuple[type[BaseException], ...] = (Exception,)
    never_on: tuple[type[BaseException], ...] = (PermanentError,)
    rng: Callable[[], float] = field(default=random.random, compare=False, repr=False)

    def backoff_ceiling(self, attempt: int) -> float:
        """The largest delay the ``attempt``-th retry (0-based) may wait, in seconds."""
        return min(self.max_delay, self.base_delay * (2.0 ** min(attempt, 62)))

    def delay(self, attempt: int) -> float:
        return self.rng() * self.backoff_ceiling(attempt)

    def should_retry(self, exception: BaseException, attempts: int) -> bool:
        if isinstance(exception, self.never_on) or attempts >= self.max_retries:
            return False
        return isinstance(exception, self.retry_on)

    def get_retry_decision(self, *, exception: BaseException, job: Job) -> RetryDecision | None:
        if isinstance(exception, asyncio.CancelledError | JobAborted):
            # Interrupted by a worker shutdown: run it again. A job aborted on request
            # raises JobAborted (see jobs/middleware.py), which procrastinate ends
            # "aborted" without asking here.
            return RetryDecision(retry_at=_after(0))
        if isinstance(exception, RescheduleError):
            # Waiting on a dependency is not the job's fault: it is retried whatever its
            # attempt count, so an open breaker never turns into a failure.
            return RetryDecision(retry_at=_after(exception.delay_seconds))
        if not self.should_retry(exception, job.attempts):
            return None
        return RetryDecision(retry_at=_after(self.delay(job.attempts)))

    def describe(self) -> str:
        if self.max_retries == 0:
            return f"{self.name}: no retry"
        return (
            f"{self.name}: {self.max_retries} retries, "
            f"backoff {_short(self.base_delay)}..{_short(self.max_delay)} with full jitter"
        )


def _after(seconds: float) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)


def _short(seconds: float) -> str:
    delta = timedelta(seconds=seconds)
    if seconds >= 3600:
        return f"{seconds / 3600:g}h"
    if seconds >= 60:
        return f"{seconds / 60:g}m"
    return f"{delta.total_seconds():g}s"


NO_RETRY = RetryPolicy(name="no-retry", max_retries=0)
DEFAULT = RetryPolicy(name="default", max_retries=5, base_delay=2.0, max_delay=300.0)
NETWORK = RetryPolicy(name="network", max_retries=8, base_delay=5.0, max_delay=900.0)
MAINTENANCE = RetryPolicy(name="maintenance", max_retries=2, base_delay=30.0, max_delay=600.0)
# Calls to a language model: timeouts, connection errors, 429 and 5xx come back soon;
# a 4xx other than 429 is a PermanentError and is not retried.
LLM = RetryPolicy(name="llm", max_retries=5, base_delay=2.0, max_delay=120.0)

POLICIES: dict[str, RetryPolicy] = {
    p.name: p for p in (NO_RETRY, DEFAULT, NETWORK, MAINTENANCE, LLM)
}
