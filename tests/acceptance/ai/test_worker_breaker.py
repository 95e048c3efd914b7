"""The "llm" circuit breaker on a worker: an open circuit reschedules runs instead of
failing them, repeated LLM failures open it, and a successful probe closes it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.acceptance.ai.helpers import create_task, run_now
from tests.support.db import job_events, query, scalar
from tests.support.loopback import ChatServer, error_reply
from tests.support.processes import running_worker, wait_for
from tests.support.reset import reset_process_caches


def _run_now(instructions: str) -> int:
    return run_now(create_task(instructions, "every day at 9")["id"])


def _job_status(url: str, job_id: int) -> str:
    status: str = scalar(url, "SELECT status::text FROM procrastinate_jobs WHERE id = %s", job_id)
    return status


def test_open_circuit_reschedules_and_failures_open_it(
    database_url: str, llm: ChatServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PA_LLM_BREAKER_FAILURES", "2")
    monkeypatch.setenv("PA_LLM_BREAKER_COOLDOWN_SECONDS", "6")
    reset_process_caches()

    with running_worker(tmp_path, "--queues", "ai_tasks") as worker:
        # Another worker opened the breaker a moment ago.
        query(
            database_url,
            "INSERT INTO circuit_breakers (name, state, failures, opened_at)"
            " VALUES ('llm', 'open', 2, now()) RETURNING name",
        )
        waited = _run_now("wait for the breaker")
        wait_for(lambda: _job_status(database_url, waited) == "succeeded", 30, "the probe")
        assert "deferred_for_retry" in job_events(database_url, waited)
        assert len(llm.requests_for("wait for the breaker")) == 1, "called while open"
        assert scalar(database_url, "SELECT state FROM circuit_breakers") == "closed"

        llm.script("flaky", error_reply(502), error_reply(503))
        flaky = _run_now("flaky")
        wait_for(lambda: _job_status(database_url, flaky) == "succeeded", 40, "the flaky run")
        log = worker.log()

    assert len(llm.requests_for("flaky")) == 3
    for action in ("breaker_opened", "breaker_half_open", "breaker_closed"):
        assert f'"action": "{action}"' in log, action
    assert scalar(database_url, "SELECT state FROM circuit_breakers") == "closed"
    assert query(database_url, "SELECT status FROM ai_task_runs") == [
        ("succeeded",),
        ("succeeded",),
    ]
