"""Retry delays stay within their bounds, grow exponentially, and jitter spreads them."""

from __future__ import annotations

import asyncio
import random
import statistics

from hypothesis import given, settings
from hypothesis import strategies as st

from personal_assistant.jobs.retry import (
    NO_RETRY,
    POLICIES,
    PermanentError,
    RescheduleError,
    RetryPolicy,
)

policies = st.builds(
    RetryPolicy,
    name=st.just("p"),
    max_retries=st.integers(0, 20),
    base_delay=st.floats(0.01, 60),
    max_delay=st.floats(1, 3600),
)


@given(policy=policies, attempt=st.integers(0, 200), seed=st.integers(0, 2**32))
def test_delay_is_within_zero_and_the_capped_ceiling(
    policy: RetryPolicy, attempt: int, seed: int
) -> None:
    jittered = RetryPolicy(
        name=policy.name,
        max_retries=policy.max_retries,
        base_delay=policy.base_delay,
        max_delay=policy.max_delay,
        rng=random.Random(seed).random,
    )
    ceiling = jittered.backoff_ceiling(attempt)
    assert ceiling <= policy.max_delay
    assert ceiling == min(policy.max_delay, policy.base_delay * 2.0**attempt)
    assert 0 <= jittered.delay(attempt) <= ceiling


@given(policy=policies, attempt=st.integers(0, 60))
def test_ceiling_never_decreases(policy: RetryPolicy, attempt: int) -> None:
    assert policy.backoff_ceiling(attempt + 1) >= policy.backoff_ceiling(attempt)


@settings(max_examples=20)
@given(seed=st.integers(0, 2**32))
def test_full_jitter_spreads_delays_over_the_whole_range(seed: int) -> None:
    policy = RetryPolicy(
        name="p", max_retries=5, base_delay=10, max_delay=10, rng=random.Random(seed).random
    )
    delays = [policy.delay(3) for _ in range(400)]
    assert len(set(delays)) == len(delays)
    assert min(delays) < 1.5 and max(delays) > 8.5
    assert 4 < statistics.mean(delays) < 6


def test_which_errors_are_retried() -> None:
    policy = POLICIES["default"]
    assert policy.should_retry(ConnectionError(), attempts=0)
    assert not policy.should_retry(ConnectionError(), attempts=policy.max_retries)
    assert not policy.should_retry(PermanentError(), attempts=0)
    assert not NO_RETRY.should_retry(ConnectionError(), attempts=0)


def test_reschedule_and_shutdown_interruptions_are_always_retried() -> None:
    from procrastinate.jobs import Job

    job = Job(id=1, queue="q", lock=None, queueing_lock=None, task_name="t", attempts=99)
    assert NO_RETRY.get_retry_decision(exception=RescheduleError(delay_seconds=5), job=job)
    assert NO_RETRY.get_retry_decision(exception=asyncio.CancelledError(), job=job)
    assert NO_RETRY.get_retry_decision(exception=ConnectionError(), job=job) is None
