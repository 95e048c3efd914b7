"""Alerts: many failing jobs make one incident and one notification; recovery resolves it."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from personal_assistant.db.session import dispose_engine, session_scope
from personal_assistant.monitoring.alerts import AlertReport, evaluate_alerts
from personal_assistant.settings import get_settings
from tests.support.db import job_status, query, scalar
from tests.support.probes import PROBE_ENV, defer_jobs
from tests.support.processes import run_cli, running_worker, wait_for
from tests.support.reset import reset_process_caches

INCIDENTS = "SELECT key, kind, resolved_at IS NOT NULL, notified FROM alert_incidents ORDER BY id"
NOTIFICATIONS = """
    SELECT user_id, channel, subject FROM notifications
     WHERE source = 'alert:failure_rate:sync_tasks' ORDER BY id
"""
RAISED = ("operator", "log", "Alert: failure rate on sync_tasks")
RESOLVED = ("operator", "log", "Resolved: failure rate on sync_tasks")


@pytest.fixture
def alert_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in {
        **PROBE_ENV,
        "PA_ALERT_MIN_JOBS": "5",
        "PA_ALERT_FAILURE_RATE": "0.5",
        "PA_ALERT_WINDOW_MINUTES": "15",
        "PA_ALERT_OLDEST_TODO_SECONDS": "3600",
        "PA_ALERT_USER_ID": "operator",
        "PA_ALERT_CHANNEL": "log",
    }.items():
        monkeypatch.setenv(key, value)
    reset_process_caches()


async def evaluate() -> AlertReport:
    async with session_scope() as session:
        return await evaluate_alerts(session, get_settings())


def all_finished(url: str, job_ids: list[int]) -> bool:
    return all(job_status(url, job) in ("succeeded", "failed") for job in job_ids)


def actions(caplog: pytest.LogCaptureFixture, action: str) -> int:
    return sum(1 for record in caplog.records if getattr(record, "action", None) == action)


async def test_one_incident_per_failure_streak(
    database_url: str, alert_settings: None, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="personal_assistant.monitoring")
    with running_worker(tmp_path, "--queues", "sync_tasks", "--concurrency", "4"):
        failing = defer_jobs(database_url, "probe:fail", 8)
        wait_for(lambda: all_finished(database_url, failing), 30, "the failing jobs")

        reports = [await evaluate() for _ in range(3)]
        assert reports[0].opened == ["failure_rate:sync_tasks"]
        assert [r.still_open for r in reports[1:]] == [["failure_rate:sync_tasks"]] * 2
        assert query(database_url, INCIDENTS) == [
            ("failure_rate:sync_tasks", "failure_rate", False, True)
        ]
        assert actions(caplog, "alert_raised") == 1
        assert query(database_url, NOTIFICATIONS) == [RAISED]
        detail = scalar(database_url, "SELECT detail FROM alert_incidents")
        # "8 of 8", or of 9 if another task's periodic job ran on the queue meanwhile.
        assert detail.startswith("sync_tasks: 8 of "), detail

        # 8 failed of 20 finished: 40 %, under the 50 % limit.
        succeeding = defer_jobs(database_url, "probe:nap", 12)
        wait_for(lambda: all_finished(database_url, succeeding), 30, "the succeeding jobs")
        assert (await evaluate()).resolved == ["failure_rate:sync_tasks"]
        assert (await evaluate()).as_json() == {"opened": [], "resolved": [], "still_open": []}
        assert actions(caplog, "alert_resolved") == 1
        assert query(database_url, NOTIFICATIONS) == [RAISED, RESOLVED]

        # A new streak is a new incident, notified once more.
        failing = defer_jobs(database_url, "probe:fail", 20)
        wait_for(lambda: all_finished(database_url, failing), 30, "the second failing streak")
        assert (await evaluate()).opened == ["failure_rate:sync_tasks"]
    assert query(database_url, INCIDENTS) == [
        ("failure_rate:sync_tasks", "failure_rate", True, True),
        ("failure_rate:sync_tasks", "failure_rate", False, True),
    ]
    assert actions(caplog, "alert_raised") == 2
    assert query(database_url, NOTIFICATIONS) == [RAISED, RESOLVED, RAISED]
    await dispose_engine()


def test_evaluate_alerts_task_raises_a_backlog_alert(
    database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PA_ALERT_OLDEST_TODO_SECONDS", "1")
    # Nobody serves sync_tasks here: the job waits until it is older than the limit.
    defer_jobs(database_url, "probe:nap", 1)
    wait_for(
        lambda: scalar(
            database_url,
            "SELECT EXTRACT(EPOCH FROM now() - min(at)) > 1.5 FROM procrastinate_events",
        ),
        10,
        "the job to be late",
    )
    job_id = int(run_cli("defer", "monitoring:evaluate_alerts").out)
    with running_worker(tmp_path, "--queues", "maintenance_tasks") as worker:
        wait_for(lambda: job_status(database_url, job_id) == "succeeded", 30, "the evaluation")
        worker.wait_for_log('"action": "alert_raised"')
    result = scalar(database_url, "SELECT result FROM job_results WHERE job_id = %s", job_id)
    # The periodic evaluation may have run first: then this one found it already open.
    assert "oldest_todo:sync_tasks" in result["opened"] + result["still_open"], result
    sync_incidents = [row for row in query(database_url, INCIDENTS) if "sync_tasks" in row[0]]
    assert sync_incidents == [("oldest_todo:sync_tasks", "oldest_todo", False, True)]
    assert "the oldest due job has waited" in worker.log()
