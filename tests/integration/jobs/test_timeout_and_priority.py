"""A job past its timeout is cancelled and fails; a high priority job overtakes low ones."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.db import job_status, query, scalar
from tests.support.processes import run_cli, running_worker, wait_for


@pytest.fixture
def extra_tasks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PA_EXTRA_TASK_MODULES", "tests.support.limited_tasks")


def test_timeout_cancels_a_long_job(database_url: str, tmp_path: Path, extra_tasks: None) -> None:
    slow = int(run_cli("defer", "sleep_past_timeout", "--args", '{"seconds": 30}').out)
    quick = int(run_cli("defer", "sleep_past_timeout", "--args", '{"seconds": 0.1}').out)
    with running_worker(tmp_path, "--queues", "maintenance_tasks") as worker:
        wait_for(lambda: job_status(database_url, slow) == "failed", 20, "the timeout")
        wait_for(lambda: job_status(database_url, quick) == "succeeded", 20, "the quick job")
        worker.wait_for_log('"action": "job_timeout"')
    run_time = scalar(
        database_url,
        """SELECT EXTRACT(EPOCH FROM max(at) - min(at)) FROM procrastinate_events
            WHERE job_id = %s AND type IN ('started', 'failed')""",
        slow,
    )
    assert 0.9 < float(run_time) < 5, run_time
    assert "ran past its 1 s timeout" in worker.log()


def test_high_priority_overtakes_a_queue_of_low_ones(database_url: str, tmp_path: Path) -> None:
    low = [
        int(run_cli("defer", "ping", "--args", json.dumps({"message": f"low{i}"})).out)
        for i in range(8)
    ]
    high = int(run_cli("defer", "ping", "--priority", "10", "--args", '{"message": "high"}').out)
    with running_worker(tmp_path, "--queues", "maintenance_tasks", "--concurrency", "1"):
        wait_for(
            lambda: all(job_status(database_url, j) == "succeeded" for j in [*low, high]),
            30,
            "all jobs",
        )
    order = [
        row[0]
        for row in query(
            database_url,
            """SELECT j.id FROM procrastinate_jobs j
                 JOIN procrastinate_events e ON e.job_id = j.id AND e.type = 'started'
                WHERE j.task_name = 'maintenance:ping' ORDER BY e.at, e.id""",
        )
    ]
    assert order[0] == high, order
    assert order[1:] == low
