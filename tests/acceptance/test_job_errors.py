"""Each failed attempt is recorded by the worker (type, message, traceback tail), secrets
masked; ``jobs show`` gives the last one and ``--json`` every attempt."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.support.db import job_status, query
from tests.support.processes import run_cli, running_worker, wait_for

SECRET = "s3cr3t-notion-token-value"


@pytest.fixture(autouse=True)
def test_tasks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "PA_EXTRA_TASK_MODULES", "tests.support.abortable_tasks,tests.support.limited_tasks"
    )
    monkeypatch.setenv("PA_NOTION_TOKEN", SECRET)


def _defer(*args: str) -> int:
    deferred = run_cli("defer", *args)
    assert deferred.code == 0, deferred.err
    return int(deferred.out.split()[0])


def test_failed_attempts_are_recorded_masked_and_shown(database_url: str, tmp_path: Path) -> None:
    failing = _defer("abortable:fail_quoting_secrets", "--args", '{"note": "see logs"}')
    timed_out = _defer("limited:sleep_past_timeout", "--args", '{"seconds": 30}')
    fine = _defer("ping", "--args", '{"message": "ok"}')
    with running_worker(tmp_path, "--queues", "maintenance_tasks", "--concurrency", "3"):
        for job_id in (failing, timed_out):
            wait_for(lambda j=job_id: job_status(database_url, j) == "failed", 30, f"{job_id}")
        wait_for(lambda: job_status(database_url, fine) == "succeeded", 30, "the ping")

    rows = query(
        database_url,
        "SELECT job_id, attempt, task_name, queue, error_type, message, traceback, worker"
        " FROM job_errors ORDER BY job_id, attempt",
    )
    by_job: dict[int, list[tuple[object, ...]]] = {}
    for row in rows:
        by_job.setdefault(row[0], []).append(row)
    assert set(by_job) == {failing, timed_out}  # a success records nothing

    # One row per attempt: the first was retried, the second was final.
    first, second = by_job[failing]
    assert [first[1], second[1]] == [1, 2]
    for row in (first, second):
        assert row[2:5] == ("abortable:fail_quoting_secrets", "maintenance_tasks", "RuntimeError")
        assert row[7] == "w1"
        assert SECRET not in row[5] and SECRET not in row[6]
        assert "token *** refused" in row[5]
        assert row[6].rstrip().endswith("RuntimeError: " + row[5])
    assert first[5].startswith("attempt 1:") and second[5].startswith("attempt 2:")

    ((_, attempt, _, _, error_type, message, trace, _),) = by_job[timed_out]
    assert (attempt, error_type) == (1, "JobTimeout")
    assert "ran past its 1 s timeout" in message
    assert 0 < len(trace) <= 8_192

    shown = run_cli("jobs", "show", str(failing))
    assert shown.code == 0, shown.err
    assert "last error attempt 2" in shown.out
    assert "RuntimeError: attempt 2: token *** refused" in shown.out
    assert "1 earlier" in shown.out
    assert SECRET not in shown.out

    as_json = run_cli("jobs", "show", str(failing), "--json").json()
    assert [e["attempt"] for e in as_json["errors"]] == [1, 2]
    assert {e["error_type"] for e in as_json["errors"]} == {"RuntimeError"}
    assert all(e["traceback"] and e["failed_at"] for e in as_json["errors"])
    assert run_cli("jobs", "show", str(fine), "--json").json()["errors"] == []
    assert "last error" not in run_cli("jobs", "show", str(fine)).out


def test_job_errors_service_reads_every_attempt(database_url: str) -> None:
    from personal_assistant.db.session import dispose_engine, session_scope
    from personal_assistant.jobs.inspect import job_errors

    query(
        database_url,
        "INSERT INTO job_errors (job_id, attempt, task_name, queue, error_type, message,"
        " traceback) VALUES (7, 2, 't', 'q', 'B', 'second', 'tb'), (7, 1, 't', 'q', 'A', 'first',"
        " 'tb'), (8, 1, 't', 'q', 'C', 'other', 'tb') RETURNING id",
    )

    async def read() -> list[tuple[int, str]]:
        try:
            async with session_scope() as session:
                return [(e.attempt, e.message) for e in await job_errors(session, 7)]
        finally:
            await dispose_engine()

    assert asyncio.run(read()) == [(1, "first"), (2, "second")]
