"""The circuit breaker's state is shared by every process through PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import sys

import pytest

from personal_assistant.db.session import dispose_engine
from personal_assistant.jobs.retry import RescheduleError
from personal_assistant.resilience.breaker import BreakerPolicy, CircuitOpen, call_through
from tests.support.db import query, scalar, table_counts
from tests.support.processes import run_cli

# "Worker A": another process fails three calls through the "demo" breaker.
FAIL_THREE_TIMES = """
import asyncio
from personal_assistant.db.session import dispose_engine
from personal_assistant.logs import configure_logging
from personal_assistant.resilience.breaker import BreakerPolicy, call_through

async def main():
    policy = BreakerPolicy(failure_threshold=3, window_seconds=60, cooldown_seconds=30)
    async def failing():
        raise ConnectionError("connection refused")
    for _ in range(3):
        try:
            await call_through("demo", policy, failing)
        except ConnectionError:
            pass
    await dispose_engine()

configure_logging("INFO", "json")
asyncio.run(main())
"""

POLICY = BreakerPolicy(failure_threshold=3, window_seconds=60, cooldown_seconds=30)


class Down(Exception):
    pass


async def _fail(name: str = "demo", policy: BreakerPolicy = POLICY) -> None:
    async def failing() -> None:
        raise Down("down")

    with pytest.raises(Down):
        await call_through(name, policy, failing)


def _state(url: str, name: str = "demo") -> tuple[str, int]:
    rows = query(url, "SELECT state, failures FROM circuit_breakers WHERE name = %s", name)
    return rows[0] if rows else ("none", 0)


def _cooldown_over(url: str, name: str = "demo") -> None:
    query(
        url,
        "UPDATE circuit_breakers SET opened_at = now() - interval '1 minute' WHERE name = %s"
        " RETURNING name",
        name,
    )


async def test_failures_in_one_process_open_the_breaker_for_another(database_url: str) -> None:
    worker_a = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        FAIL_THREE_TIMES,
        env=os.environ,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(worker_a.communicate(), 60)
    assert worker_a.returncode == 0, stderr.decode()
    assert '"action": "breaker_opened"' in stderr.decode()
    assert _state(database_url) == ("open", 3)

    called = False

    async def dependency() -> str:
        nonlocal called
        called = True
        return "answer"

    with pytest.raises(CircuitOpen) as info:
        await call_through("demo", POLICY, dependency)
    await dispose_engine()
    assert not called
    assert isinstance(info.value, RescheduleError)
    assert 20 < info.value.delay_seconds <= 30
    assert "'demo' is open" in str(info.value)


async def test_one_caller_gets_the_half_open_probe_and_its_success_closes(
    database_url: str,
) -> None:
    for _ in range(3):
        await _fail()
    assert _state(database_url)[0] == "open"
    _cooldown_over(database_url)

    calls = 0

    async def slow_dependency() -> str:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.5)
        return "ok"

    # Each caller works on a connection of its own, like separate workers.
    outcomes = await asyncio.gather(
        *(call_through("demo", POLICY, slow_dependency) for _ in range(6)),
        return_exceptions=True,
    )
    await dispose_engine()
    assert calls == 1
    assert outcomes.count("ok") == 1
    refused = [o for o in outcomes if isinstance(o, CircuitOpen)]
    assert len(refused) == 5
    assert _state(database_url) == ("closed", 0)


async def test_a_failed_probe_opens_the_breaker_again(database_url: str) -> None:
    for _ in range(3):
        await _fail()
    _cooldown_over(database_url)
    await _fail()  # the probe
    assert _state(database_url)[0] == "open"
    assert scalar(
        database_url,
        "SELECT opened_at > now() - interval '10 seconds' FROM circuit_breakers",
    )
    with pytest.raises(CircuitOpen):
        await call_through("demo", POLICY, lambda: asyncio.sleep(0))
    await dispose_engine()


async def test_only_counted_failures_within_the_window_open_it(database_url: str) -> None:
    async def bad_request() -> None:
        raise ValueError("bad request")

    for _ in range(5):
        with pytest.raises(ValueError):
            await call_through(
                "demo", POLICY, bad_request, counts_as_failure=lambda e: isinstance(e, Down)
            )
    assert _state(database_url) == ("none", 0)

    await _fail()
    await _fail()
    query(
        database_url,
        "UPDATE circuit_breakers SET window_started_at = now() - interval '2 minutes'"
        " RETURNING name",
    )
    await _fail()  # a new window starts: 1 failure, still closed
    await dispose_engine()
    assert _state(database_url) == ("closed", 1)


async def test_cli_lists_and_resets_and_refuses_unknown_names(database_url: str) -> None:
    for _ in range(3):
        await _fail()
    await dispose_engine()

    listed = run_cli("breakers", "--json")
    assert listed.code == 0, listed.err
    listed_by_name = {b["name"]: b for b in listed.json()}
    # Every known breaker is listed, closed, before its first use.
    assert set(listed_by_name) == {"calendar", "demo", "llm", "notion", "smtp", "webhook"}
    demo = listed_by_name["demo"]
    assert demo["state"] == "open"
    assert demo["failures"] == 3
    assert demo["last_error"] == "Down: down"
    assert "demo" in run_cli("breakers").out

    before = table_counts(database_url)
    bad = run_cli("breakers", "reset", "nope")
    assert bad.code == 2
    assert bad.err.strip().splitlines() == [
        "error: no circuit breaker named 'nope'; "
        "known breakers: calendar, demo, llm, notion, smtp, webhook"
    ]
    assert table_counts(database_url) == before
    assert _state(database_url) == ("open", 3)

    reset = run_cli("breakers", "reset", "demo")
    assert reset.code == 0, reset.err
    assert _state(database_url) == ("closed", 0)
    assert run_cli("breakers", "list", "--json").json()[0]["state"] == "closed"
