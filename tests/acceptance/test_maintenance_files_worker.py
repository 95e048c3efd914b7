"""Heartbeat and cleanup jobs go through the CLI, a real worker and the database."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from personal_assistant.db.session import dispose_engine, session_scope
from personal_assistant.monitoring.heartbeat import latest_heartbeat
from tests.support.db import job_status, query, scalar
from tests.support.processes import run_cli, running_worker, wait_for

TICK = 1_767_225_600  # 2026-01-01T00:00:00Z, as the periodic deferrer would pass it


def _defer(task: str, args: str) -> int:
    deferred = run_cli("defer", task, "--args", args)
    assert deferred.code == 0, deferred.err
    return int(deferred.out)


def _finished(url: str, job_id: int) -> bool:
    return job_status(url, job_id) in ("succeeded", "failed")


async def test_worker_writes_heartbeat_and_cleans_files(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    old, new = scratch / "old.tmp", scratch / "new.tmp"
    old.write_bytes(b"12345")
    new.write_bytes(b"1")
    stamp = time.time() - 7200
    os.utime(old, (stamp, stamp))
    monkeypatch.setenv("PA_CLEANUP_DIRS", str(scratch))
    monkeypatch.setenv("PA_CLEANUP_MAX_AGE_HOURS", "1")

    async with session_scope() as session:
        assert await latest_heartbeat(session) is None

    heartbeat = _defer("maintenance:record_scheduler_heartbeat", f'{{"timestamp": {TICK}}}')
    dry_run = _defer("files:cleanup_temp_files", '{"dry_run": true}')
    with running_worker(tmp_path, "--queues", "maintenance_tasks,file_tasks"):
        wait_for(lambda: _finished(database_url, heartbeat), 30, "heartbeat job")
        wait_for(lambda: _finished(database_url, dry_run), 30, "dry-run cleanup job")
        assert old.exists()
        cleanup = _defer("files:cleanup_temp_files", "{}")
        wait_for(lambda: _finished(database_url, cleanup), 30, "cleanup job")

    assert job_status(database_url, heartbeat) == "succeeded"
    rows = query(
        database_url,
        "SELECT deferred_at, worker FROM scheduler_heartbeats WHERE job_id = %s",
        heartbeat,
    )
    assert rows == [(datetime.fromtimestamp(TICK, UTC), "w1")]
    async with session_scope() as session:
        latest = await latest_heartbeat(session)
    await dispose_engine()
    assert latest is not None and (datetime.now(UTC) - latest).total_seconds() < 60

    result = "SELECT result FROM job_results WHERE job_id = %s"
    assert scalar(database_url, result, dry_run)["files_removed"] == 1
    assert scalar(database_url, result, cleanup)["bytes_removed"] == 5
    assert not old.exists() and new.exists()
