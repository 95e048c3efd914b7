"""``pa-tasks stats --json`` counts, rates and durations match a known set of jobs."""

from __future__ import annotations

import signal
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest

from personal_assistant.db.session import dispose_engine, session_scope
from personal_assistant.monitoring.stats import queue_stats
from tests.support.db import job_status
from tests.support.probes import PROBE_ENV, defer_jobs
from tests.support.processes import PA_TASKS, run_cli, running_worker, wait_for

NAP_SECONDS = 0.3


@pytest.fixture
def probe_tasks(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in PROBE_ENV.items():
        monkeypatch.setenv(key, value)


def test_stats_match_the_jobs_that_ran(
    database_url: str, tmp_path: Path, probe_tasks: None
) -> None:
    naps = defer_jobs(database_url, "probe:nap", 4, {"seconds": NAP_SECONDS})
    failures = defer_jobs(database_url, "probe:fail", 2)
    flaky = defer_jobs(database_url, "probe:flaky", 1)
    with running_worker(tmp_path, "--queues", "sync_tasks", "--concurrency", "2"):
        wait_for(
            lambda: (
                all(job_status(database_url, j) == "succeeded" for j in naps + flaky)
                and all(job_status(database_url, j) == "failed" for j in failures)
            ),
            30,
            "every job to finish",
        )

    result = run_cli("stats", "--json", "--window", "1h")
    assert result.code == 0, result.err
    stats = result.json()
    assert stats["window_seconds"] == 3600
    # The worker's periodic deferrer may add other tasks' jobs to the queue: only the
    # probe tasks' numbers are known.
    tasks = {row["task"]: row for row in stats["tasks"] if row["task"].startswith("probe:")}
    assert set(tasks) == {"probe:nap", "probe:fail", "probe:flaky"}
    others = [row for row in stats["tasks"] if not row["task"].startswith("probe:")]

    nap = tasks["probe:nap"]
    assert (nap["finished"], nap["succeeded"], nap["failed"], nap["retried"]) == (4, 4, 0, 0)
    assert nap["queue"] == "sync_tasks"
    assert nap["failure_rate"] == 0
    assert NAP_SECONDS <= nap["p50_s"] <= nap["p95_s"] < NAP_SECONDS + 2

    fail = tasks["probe:fail"]
    assert (fail["finished"], fail["failed"], fail["failure_rate"]) == (2, 2, 1.0)
    assert fail["p95_s"] < 2

    flaky_row = tasks["probe:flaky"]
    assert (flaky_row["finished"], flaky_row["succeeded"], flaky_row["retried"]) == (1, 1, 1)

    total = stats["total"]
    finished = 7 + sum(row["finished"] for row in others)
    failed = 2 + sum(row["failed"] for row in others)
    assert (total["finished"], total["failed"]) == (finished, failed)
    assert total["retried"] == 1 + sum(row["retried"] for row in others)
    assert total["failure_rate"] == round(failed / finished, 4)
    assert total["per_minute"] == round(finished / 60, 3)

    table = run_cli("stats", "--window", "1h")
    assert table.code == 0
    assert "probe:nap" in table.out and "probe:flaky" in table.out


async def test_stats_of_an_empty_window(database_url: str) -> None:
    async with session_scope() as session:
        stats = await queue_stats(session, timedelta(minutes=15))
    await dispose_engine()
    assert stats.window_seconds == 900
    assert stats.tasks == []
    assert (stats.total.finished, stats.total.failure_rate, stats.total.p50_s) == (0, None, None)


def test_stats_rejects_a_bad_window(database_url: str) -> None:
    bad = run_cli("stats", "--window", "soon")
    assert bad.code == 2
    assert bad.err.count("\n") == 1 and "--window" in bad.err


def test_stats_watch_refreshes_until_interrupted(database_url: str, tmp_path: Path) -> None:
    output = tmp_path / "watch.out"
    with output.open("wb") as sink:
        process = subprocess.Popen(
            [*PA_TASKS, "stats", "--watch", "--interval", "0.3"], stdout=sink, stderr=sink
        )
        try:
            wait_for(
                lambda: output.read_text().count("Jobs finished since") >= 2, 30, "two refreshes"
            )
        finally:
            process.send_signal(signal.SIGINT)
            code = process.wait(30)
    assert code == 0, output.read_text()
