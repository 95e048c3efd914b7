"""With no DATABASE_URL the product runs on an embedded PostgreSQL that keeps its data."""

from __future__ import annotations

import os
import time
from pathlib import Path

import psycopg
import pytest

from tests.support.processes import WorkerProcess, run_cli


@pytest.mark.timeout(300)  # two server starts, a worker and a dozen commands
def test_embedded_database_persists_jobs_across_a_server_restart(tmp_path: Path) -> None:
    # One test, one embedded server: two starting at once on one machine collide.
    env = {
        **{k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
        "DATABASE_URL": "",
        "PA_EMBEDDED_DATA_DIR": str(tmp_path / "pg"),
        "PA_LOG_FORMAT": "json",
    }
    worker: WorkerProcess | None = None
    try:
        assert run_cli("db", "upgrade", env=env).code == 0
        deferred = run_cli("defer", "ping", "--args", '{"message": "kept"}', env=env)
        assert deferred.code == 0, deferred.err
        job_id = int(deferred.out)

        url = run_cli("db", "url", env=env).out.strip()
        with psycopg.connect(url) as conn:  # what `psql "$(pa-tasks db url)"` does
            assert conn.execute("SELECT count(*) FROM procrastinate_jobs").fetchone() == (1,)

        # A worker on another queue, so the job stays for the check below.
        worker = WorkerProcess(
            ["--queues", "email_tasks", "--name", "w"], tmp_path / "w.log", env=env
        )
        worker.wait_for_log('"action": "worker_start"')
        stopped = run_cli("db", "stop", env=env)
        assert stopped.out.strip() == "embedded server stopped"
        assert "warning: 1 worker(s) are connected" in stopped.err

        # The worker says once what happened, however many times it retries.
        worker.wait_for_log('"action": "database_unreachable"')
        time.sleep(3)
        assert worker.log().count('"action": "database_unreachable"') == 1
        assert "the embedded PostgreSQL server is not running" in worker.log()

        listed = run_cli("jobs", "list", "--json", env=env)  # starts it again
        assert listed.code == 0, listed.err
        assert job_id in [job["id"] for job in listed.json()]
        worker.wait_for_log('"action": "database_back"')
    finally:
        if worker is not None:
            worker.terminate()
        run_cli("db", "stop", env=env)
