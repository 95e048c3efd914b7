"""A running worker survives a PostgreSQL restart and picks up new jobs within seconds."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.support.db import job_status
from tests.support.postgres import PostgresServer
from tests.support.processes import run_cli, running_worker, wait_for


def test_worker_resumes_after_postgres_restart(
    database_url: str, pg_server: PostgresServer, tmp_path: Path
) -> None:
    if not pg_server.controllable:
        pytest.skip("TEST_DATABASE_URL points at a server this test cannot restart")

    with running_worker(tmp_path, "--queues", "maintenance_tasks") as worker:
        before = int(run_cli("defer", "ping").out)
        wait_for(lambda: job_status(database_url, before) == "succeeded", 30, "job before")

        pg_server.stop()
        worker.wait_for_log('"action": "worker_restart"', timeout=30)
        time.sleep(1)
        pg_server.start()

        deferred_at = time.monotonic()
        after = int(run_cli("defer", "ping", "--args", '{"message": "after restart"}').out)
        wait_for(lambda: job_status(database_url, after) == "succeeded", 10, "pickup after restart")
        assert time.monotonic() - deferred_at < 10
        assert worker.process.poll() is None, "the worker process must not have exited"
