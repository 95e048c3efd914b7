"""``jobs cancel ID --abort`` stops a running job: an async one at once, a blocking one at
its next check. The job ends ``aborted``, its side effect never happens, and it is
counted and kept as an abort, not a failure."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.support.db import job_events, job_status, query, scalar
from tests.support.processes import run_cli, running_worker, wait_for

# Long enough to abort the job while it runs, even on a loaded machine.
RUN_SECONDS = 20.0


@pytest.fixture(autouse=True)
def abortable_tasks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PA_EXTRA_TASK_MODULES", "tests.support.abortable_tasks")


def _defer(task: str, message: str) -> int:
    args = json.dumps({"seconds": RUN_SECONDS, "message": message})
    deferred = run_cli("defer", task, "--args", args)
    assert deferred.code == 0, deferred.err
    return int(deferred.out.split()[0])


def _abort_seconds(url: str, job_id: int) -> float:
    """From the abort request to the job's end, by the database's own clock."""
    return float(
        scalar(
            url,
            """SELECT EXTRACT(EPOCH FROM
                      max(at) FILTER (WHERE type = 'aborted')
                    - max(at) FILTER (WHERE type = 'abort_requested'))
                 FROM procrastinate_events WHERE job_id = %s""",
            job_id,
        )
    )


@pytest.mark.parametrize(
    ("task", "bound"),
    [
        ("abortable:wait_then_write", 1.0),  # its asyncio task is cancelled
        ("abortable:block_then_write", 1.0),  # it checks should_abort() every 50 ms
    ],
)
def test_abort_ends_a_running_job_aborted_without_its_side_effect(
    database_url: str, tmp_path: Path, task: str, bound: float
) -> None:
    job_id = _defer(task, "after the abort point")
    with running_worker(tmp_path, "--queues", "maintenance_tasks") as worker:
        wait_for(lambda: job_status(database_url, job_id) == "doing", 30, "the job to start")
        started = time.monotonic()
        cancelled = run_cli("jobs", "cancel", str(job_id), "--abort")
        assert cancelled.code == 0, cancelled.err
        assert cancelled.out.strip() == f"job {job_id} is aborting"
        wait_for(lambda: job_status(database_url, job_id) not in ("doing", None), 10, "the abort")
        assert job_status(database_url, job_id) == "aborted", worker.log()[-3000:]
        assert time.monotonic() - started < RUN_SECONDS, "aborted too late to prove anything"
        assert _abort_seconds(database_url, job_id) < bound
        # The job's function has returned: "aborted" is written after it unwound. A
        # moment later, still nothing was written.
        time.sleep(1.0)
        worker.wait_for_log('"action": "job_aborted"')

    assert scalar(database_url, "SELECT count(*) FROM ping_records WHERE job_id = %s", job_id) == 0
    row = query(
        database_url,
        "SELECT status::text, abort_requested, attempts FROM procrastinate_jobs WHERE id = %s",
        job_id,
    )
    assert row == [("aborted", False, 1)]
    assert job_events(database_url, job_id) == [
        "deferred",
        "started",
        "abort_requested",
        "aborted",
    ]
    # An abort is not an error: nothing recorded, nothing to retry on its own.
    assert scalar(database_url, "SELECT count(*) FROM job_errors WHERE job_id = %s", job_id) == 0

    listed = run_cli("jobs", "list", "--status", "aborted", "--json")
    assert [j["id"] for j in listed.json()] == [job_id]
    total = run_cli("stats", "--json").json()["total"]
    assert (total["aborted"], total["failed"], total["failure_rate"]) == (1, 0, 0.0)


def test_abort_during_a_worker_with_other_jobs_leaves_them_alone(
    database_url: str, tmp_path: Path
) -> None:
    doomed = _defer("abortable:wait_then_write", "doomed")
    spared = int(
        run_cli(
            "defer", "abortable:wait_then_write", "--args", '{"seconds": 1, "message": "spared"}'
        ).out.split()[0]
    )
    with running_worker(tmp_path, "--queues", "maintenance_tasks", "--concurrency", "2"):
        wait_for(
            lambda: (
                job_status(database_url, doomed) == "doing"
                and job_status(database_url, spared) in ("doing", "succeeded")
            ),
            30,
            "both jobs to start",
        )
        assert run_cli("jobs", "cancel", str(doomed), "--abort").code == 0
        wait_for(lambda: job_status(database_url, spared) == "succeeded", 20, "the spared job")
        wait_for(lambda: job_status(database_url, doomed) == "aborted", 10, "the abort")
    messages = query(database_url, "SELECT message FROM ping_records ORDER BY id")
    assert messages == [("spared",)]
