"""A job deferred through the CLI runs on a real worker and shows its whole story."""

from __future__ import annotations

from pathlib import Path

from tests.support.db import job_status, scalar
from tests.support.processes import run_cli, running_worker, wait_for


def test_cli_defer_runs_on_worker_with_events(database_url: str, tmp_path: Path) -> None:
    deferred = run_cli("defer", "ping", "--args", '{"message": "hello"}')
    assert deferred.code == 0, deferred.err
    job_id = int(deferred.out.strip())

    with running_worker(tmp_path, "--queues", "maintenance_tasks"):
        wait_for(lambda: job_status(database_url, job_id) == "succeeded", 30, "job success")

    shown = run_cli("jobs", "show", str(job_id), "--json")
    assert shown.code == 0, shown.err
    job = shown.json()
    assert job["id"] == job_id
    assert job["task"] == "maintenance:ping"
    assert job["queue"] == "maintenance_tasks"
    assert job["status"] == "succeeded"
    assert job["attempts"] == 1
    assert [e["type"] for e in job["events"]] == ["deferred", "started", "succeeded"]
    assert job["result"] == {"pong": "hello", "recorded": True}
    assert scalar(database_url, "SELECT message FROM ping_records WHERE job_id = %s", job_id) == (
        "hello"
    )


def test_listings_have_json(database_url: str) -> None:
    job_id = int(run_cli("defer", "maintenance:ping").out)
    listed = run_cli("jobs", "list", "--json", "--status", "todo")
    assert listed.code == 0, listed.err
    assert [j["id"] for j in listed.json()] == [job_id]

    queues = run_cli("queues", "--json").json()
    assert queues["maintenance_tasks"]["todo"] == 1
    assert set(queues) >= {"ai_tasks", "email_tasks", "file_tasks", "sync_tasks"}

    tasks = {t["name"]: t for t in run_cli("tasks", "--json").json()}
    assert tasks["maintenance:ping"]["queue"] == "maintenance_tasks"
    assert "retries" in tasks["maintenance:ping"]["retry"]


def test_cancel_and_retry(database_url: str) -> None:
    job_id = int(run_cli("defer", "ping", "--in", "1h").out)
    assert run_cli("jobs", "cancel", str(job_id)).code == 0
    assert job_status(database_url, job_id) == "cancelled"
    assert run_cli("jobs", "retry", str(job_id)).code == 0
    assert job_status(database_url, job_id) == "todo"
    again = run_cli("jobs", "retry", str(job_id))
    assert again.code == 2
    assert "cannot" in again.err or "only" in again.err
