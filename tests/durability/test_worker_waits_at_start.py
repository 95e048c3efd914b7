"""A worker started while its database is unavailable waits for it, in both modes, and
says why in a line that is never empty."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from tests.support.db import job_status
from tests.support.postgres import PostgresServer
from tests.support.processes import WorkerProcess, run_cli, wait_for


def _no_empty_reason(log: str) -> None:
    assert "()" not in log and ": \n" not in log and "(): " not in log, log


def test_worker_waits_for_a_database_url_that_is_down(
    database_url: str, pg_server: PostgresServer, tmp_path: Path
) -> None:
    if not pg_server.controllable:
        pytest.skip("TEST_DATABASE_URL points at a server this test cannot stop")
    pg_server.stop()
    worker = WorkerProcess(["--queues", "maintenance_tasks", "--name", "early"], tmp_path / "w.log")
    try:
        worker.wait_for_log('"action": "database_unreachable"', timeout=30)
        time.sleep(1)
        assert worker.process.poll() is None, worker.log()
        pg_server.start()
        worker.wait_for_log('"action": "worker_start"', timeout=30)
        job_id = int(run_cli("defer", "ping").out)
        wait_for(lambda: job_status(database_url, job_id) == "succeeded", 30, "the ping")
    finally:
        if not pg_server.controllable or worker.process.poll() is None:
            worker.terminate()
        pg_server.start()
    _no_empty_reason(worker.log())


def _stopping_server(data_dir: Path, pid: int) -> None:
    """What postmaster.pid says while the server shuts down (its status line)."""
    (data_dir / "postmaster.pid").write_text(
        f"{pid}\n{data_dir}\n{int(time.time())}\n5432\n{data_dir}\n\n0 0\nstopping\n"
    )


def test_worker_waits_for_an_embedded_server_that_is_stopping(tmp_path: Path) -> None:
    data_dir = tmp_path / "pg"
    env = {"DATABASE_URL": "", "PA_EMBEDDED_DATA_DIR": str(data_dir), "PA_LOG_FORMAT": "json"}
    base = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    # A first start runs initdb, which a loaded machine can slow past the package's own
    # start timeout: a second try finds the data directory made.
    assert any(run_cli("db", "upgrade", env={**base, **env}).code == 0 for _ in range(3))
    assert any(run_cli("db", "stop", env={**base, **env}).code == 0 for _ in range(3))

    holder = subprocess.Popen(["sleep", "120"])  # stands for the postmaster on its way out
    _stopping_server(data_dir, holder.pid)
    worker = WorkerProcess(
        ["--queues", "maintenance_tasks", "--name", "early"],
        tmp_path / "w.log",
        env={**base, **env},
    )
    try:
        worker.wait_for_log('"action": "database_unreachable"', timeout=60)
        time.sleep(1)
        assert worker.process.poll() is None, worker.log()
        assert "stopping" in worker.log()

        holder.kill()
        holder.wait()
        (data_dir / "postmaster.pid").unlink()
        worker.wait_for_log('"action": "worker_start"', timeout=60)
        deferred = run_cli("defer", "ping", env={**base, **env})
        assert deferred.code == 0, deferred.err
        url = run_cli("db", "url", env={**base, **env}).out.strip()
        wait_for(lambda: job_status(url, int(deferred.out)) == "succeeded", 30, "the ping")
    finally:
        holder.kill()
        worker.terminate()
        run_cli("db", "stop", env={**base, **env})
    _no_empty_reason(worker.log())
