"""The resource guard, with limits forced so the machine's real load never decides: heavy
queues wait while light ones flow, and they resume once the pressure is gone."""

from __future__ import annotations

import json
import time
import urllib.request
from pathlib import Path

import psycopg
import pytest

from personal_assistant.jobs.resource_guard import GUARD_ENGAGED, ResourceGuard, Sample
from personal_assistant.settings import GuardThresholds
from tests.support.db import job_status
from tests.support.processes import run_cli, running_worker, wait_for
from tests.support.smtp import free_port

NO_MACHINE_LIMITS = {"load_per_core": None, "min_available_memory_percent": None}


def defer_ping(queue: str, message: str) -> int:
    args = json.dumps({"message": message})
    return int(run_cli("defer", "ping", "--queue", queue, "--args", args).out)


def test_forced_load_limit_holds_the_heavy_queue_only(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A load limit of 0 is always reached: the guard engages at the first sample.
    monkeypatch.setenv(
        "PA_RESOURCE_GUARD",
        json.dumps({"ai_tasks": {"load_per_core": 0, "min_available_memory_percent": None}}),
    )
    monkeypatch.setenv("PA_RESOURCE_GUARD_INTERVAL_SECONDS", "0.2")
    heavy = [defer_ping("ai_tasks", f"heavy{i}") for i in range(2)]
    light = [defer_ping("maintenance_tasks", f"light{i}") for i in range(3)]
    port = free_port()
    with running_worker(
        tmp_path, "--queues", "ai_tasks,maintenance_tasks", "--http-port", str(port)
    ) as worker:
        worker.wait_for_log('"action": "resource_guard_engaged"')
        for job_id in light:
            wait_for(lambda j=job_id: job_status(database_url, j) == "succeeded", 20, "light")
        time.sleep(1.5)
        assert [job_status(database_url, j) for j in heavy] == ["todo", "todo"]
        assert worker.log().count('"action": "resource_guard_engaged"') == 1  # once per change

        metrics = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read()
        assert b'pa_resource_guard_engaged{queue="ai_tasks"} 1.0' in metrics

        health = run_cli("health", "--json").json()
        check = next(c for c in health["checks"] if c["name"] == "resource guard")
        assert check["status"] == "warn", check
        assert "ai_tasks" in check["detail"] and "load" in check["detail"]
    # The guard holds fetching only: nothing was lost or failed.
    assert [job_status(database_url, j) for j in heavy] == ["todo", "todo"]


def test_guard_engages_and_releases_with_database_connections(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The one measure a test can push up and down for real: client connections.
    monkeypatch.setenv(
        "PA_RESOURCE_GUARD",
        json.dumps({"file_tasks": {**NO_MACHINE_LIMITS, "max_db_connections": 14}}),
    )
    monkeypatch.setenv("PA_RESOURCE_GUARD_INTERVAL_SECONDS", "0.2")
    with running_worker(tmp_path, "--queues", "file_tasks,maintenance_tasks") as worker:
        extra = [psycopg.connect(database_url) for _ in range(16)]
        try:
            worker.wait_for_log('"action": "resource_guard_engaged"', timeout=10)
            heavy = defer_ping("file_tasks", "waits")
            light = defer_ping("maintenance_tasks", "flows")
            wait_for(lambda: job_status(database_url, light) == "succeeded", 20, "light job")
            time.sleep(1)
            assert job_status(database_url, heavy) == "todo"
            held = run_cli("health", "--json").json()
            check = next(c for c in held["checks"] if c["name"] == "resource guard")
            assert check["status"] == "warn" and "database connections" in check["detail"]
        finally:
            for conn in extra:
                conn.close()
        worker.wait_for_log('"action": "resource_guard_released"', timeout=10)
        wait_for(lambda: job_status(database_url, heavy) == "succeeded", 20, "heavy job")
        health = run_cli("health", "--json").json()
        check = next(c for c in health["checks"] if c["name"] == "resource guard")
        assert check["status"] == "ok", check
        assert worker.log().count('"action": "resource_guard_engaged"') == 1


def test_hysteresis_needs_the_margin_to_release() -> None:
    guard = ResourceGuard(
        {"ai_tasks": GuardThresholds(load_per_core=2.0, min_available_memory_percent=10)},
        release_ratio=0.8,
    )
    assert guard.update(Sample(load_per_core=2.1, available_memory_percent=50))
    assert GUARD_ENGAGED.labels(queue="ai_tasks")._value.get() == 1
    assert "load 2.10/core >= 2" in guard.detail()
    # Under the limit but inside the margin: still held, no new log or metric change.
    assert not guard.update(Sample(load_per_core=1.7, available_memory_percent=50))
    assert not guard.update(Sample(load_per_core=1.5, available_memory_percent=11))
    assert guard.held
    assert guard.update(Sample(load_per_core=1.5, available_memory_percent=13))
    assert not guard.held
    assert GUARD_ENGAGED.labels(queue="ai_tasks")._value.get() == 0
    assert guard.update(Sample(load_per_core=0.1, available_memory_percent=9.5))
    assert "memory available 10% <= 10%" in guard.detail()
