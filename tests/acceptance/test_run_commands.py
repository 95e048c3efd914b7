"""The ways to run the system: `pa-tasks up`, the bare procrastinate worker, SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.support.db import job_status, scalar
from tests.support.processes import PA_TASKS, run_cli, running_worker, wait_for


def test_up_migrates_an_empty_database_and_runs_jobs(empty_database: str, tmp_path: Path) -> None:
    log = (tmp_path / "up.log").open("wb")
    up = subprocess.Popen([*PA_TASKS, "up"], stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for(
            lambda: (
                scalar(empty_database, "SELECT to_regclass('procrastinate_jobs')") is not None
                and "worker_start" in (tmp_path / "up.log").read_text()
            ),
            60,
            "migrations and the worker",
        )
        job_id = int(run_cli("defer", "ping", "--args", '{"message": "up"}').out)
        wait_for(lambda: job_status(empty_database, job_id) == "succeeded", 30, "the ping")
    finally:
        up.send_signal(signal.SIGTERM)
        code = up.wait(30)
        log.close()
    output = (tmp_path / "up.log").read_text()
    assert code == 0
    assert "psql" in output and "pa-tasks defer ping" in output  # how to reach it
    assert "received SIGTERM, shutting down gracefully" in output


def test_sigterm_lets_the_running_job_finish(database_url: str, tmp_path: Path) -> None:
    job_id = int(run_cli("defer", "ping", "--args", '{"delay_seconds": 2}').out)
    with running_worker(tmp_path, "--queues", "maintenance_tasks") as worker:
        wait_for(lambda: job_status(database_url, job_id) == "doing", 30, "the job to start")
        assert worker.terminate() == 0
    assert job_status(database_url, job_id) == "succeeded"
    assert '"action": "worker_stop"' in worker.log()


def test_bare_procrastinate_worker_command_runs_jobs(database_url: str, tmp_path: Path) -> None:
    job_id = int(run_cli("defer", "ping").out)
    log = (tmp_path / "procrastinate.log").open("wb")
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "procrastinate",
            "--app=personal_assistant.workers.app.app",
            "worker",
            "--queues=maintenance_tasks",
            "--concurrency=1",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=os.environ.copy(),
    )
    try:
        wait_for(lambda: job_status(database_url, job_id) == "succeeded", 30, "the ping")
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(30)
        log.close()
    assert scalar(database_url, "SELECT result FROM job_results WHERE job_id = %s", job_id)
