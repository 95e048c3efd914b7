"""Workers and ``pa-tasks metrics`` serve Prometheus metrics that match the database, and
/healthz and /readyz that tell the truth, including while PostgreSQL is down.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from tests.support.db import job_status, query, scalar
from tests.support.postgres import PostgresServer
from tests.support.probes import (
    PROBE_ENV,
    Samples,
    defer_jobs,
    free_port,
    http_get,
    metric_samples,
    sample,
)
from tests.support.processes import PA_TASKS, WorkerProcess, wait_for


@pytest.fixture
def probe_tasks(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in PROBE_ENV.items():
        monkeypatch.setenv(key, value)


@contextmanager
def http_worker(tmp_path: Path, port: int) -> Iterator[WorkerProcess]:
    worker = WorkerProcess(
        ["--queues", "sync_tasks", "--concurrency", "4", "--http-port", str(port), "--name", "w1"],
        tmp_path / "w1.log",
    )
    try:
        worker.wait_for_log('"action": "worker_start"')
        wait_for(lambda: http_get(port, "/readyz")[0] == 200, 30, "the worker to be ready")
        yield worker
    finally:
        worker.terminate()


def db_depth(url: str, tasks: str = "%") -> dict[str, int]:
    rows = query(
        url,
        "SELECT status::text, count(*) FROM procrastinate_jobs "
        "WHERE queue_name = 'sync_tasks' AND task_name LIKE %s GROUP BY status",
        tasks,
    )
    return {status: count for status, count in rows}


def probe_depth(url: str) -> dict[str, int]:
    return db_depth(url, "probe:%")


def due_jobs(url: str) -> int:
    return int(
        scalar(
            url,
            "SELECT count(*) FROM procrastinate_jobs WHERE queue_name = 'sync_tasks' "
            "AND status = 'todo' AND (scheduled_at IS NULL OR scheduled_at <= now())",
        )
    )


def still_scrape(url: str, port: int) -> tuple[Samples, dict[str, int]] | None:
    before = db_depth(url)
    status, body = http_get(port, "/metrics")
    assert status == 200, body
    if db_depth(url) != before or due_jobs(url):
        return None
    return metric_samples(body), before


def test_worker_metrics_match_the_database(
    database_url: str, tmp_path: Path, probe_tasks: None
) -> None:
    port = free_port()
    later = datetime.now(UTC) + timedelta(hours=1)
    with http_worker(tmp_path, port):
        naps = defer_jobs(database_url, "probe:nap", 5)
        failures = defer_jobs(database_url, "probe:fail", 2)
        defer_jobs(database_url, "probe:nap", 3, at=later)
        wait_for(
            lambda: all(
                job_status(database_url, j) in ("succeeded", "failed") for j in naps + failures
            ),
            30,
            "the jobs to run",
        )
        # Other tasks' periodic jobs may share the queue: compare a scrape with the database
        # as it stood before and after it, once no due job is waiting.
        samples, depth = wait_for(
            lambda: still_scrape(database_url, port), 20, "a scrape of a still queue"
        )
        assert probe_depth(database_url) == {"succeeded": 5, "failed": 2, "todo": 3}
        for state in ("todo", "doing", "succeeded", "failed", "cancelled", "aborted"):
            gauge = sample(samples, "pa_queue_jobs", queue="sync_tasks", status=state)
            assert gauge == depth.get(state, 0), state
        jobs = "pa_jobs_total"
        assert sample(samples, jobs, task="probe:nap", queue="sync_tasks", outcome="succeeded") == 5
        assert sample(samples, jobs, task="probe:fail", queue="sync_tasks", outcome="failed") == 2
        durations = "pa_job_duration_seconds_count"
        assert sample(samples, durations, task="probe:nap", queue="sync_tasks") == 5
        # The three waiting jobs are not due yet: nothing is late.
        assert sample(samples, "pa_queue_oldest_todo_age_seconds", queue="sync_tasks") == 0
        assert sample(samples, "pa_stalled_jobs", queue="sync_tasks") == 0
        assert sample(samples, "pa_database_up") == 1
        assert sample(samples, "pa_workers", state="live") == 1

        status, body = http_get(port, "/healthz")
        assert status == 200 and json.loads(body)["alive"] is True
        status, body = http_get(port, "/readyz")
        ready = json.loads(body)
        assert status == 200, ready
        assert ready["database"] == "ok"
        assert [w["listen"] for w in ready["workers"]] == ["ok"]
        assert http_get(port, "/nowhere")[0] == 404


def test_readyz_follows_postgres_down_and_back(
    database_url: str, pg_server: PostgresServer, tmp_path: Path
) -> None:
    if not pg_server.controllable:
        pytest.skip("TEST_DATABASE_URL points at a server this test cannot stop")
    port = free_port()
    with http_worker(tmp_path, port) as worker:
        pg_server.stop()
        try:
            _, body = wait_for(
                lambda: (reply := http_get(port, "/readyz"))[0] == 503 and reply,
                30,
                "/readyz to turn unready",
            )
            assert any("database" in reason for reason in json.loads(body)["reasons"]), body
            # Alive all the while: the supervisor, not the restarting worker, serves HTTP.
            assert http_get(port, "/healthz")[0] == 200
        finally:
            pg_server.start()
        wait_for(lambda: http_get(port, "/readyz")[0] == 200, 30, "/readyz to be ready again")
        assert http_get(port, "/healthz")[0] == 200
        assert '"action": "worker_restart"' in worker.log()  # ready again on a new worker loop
        assert worker.process.poll() is None


def run_compose_healthcheck(service: str, port: int) -> int:
    """Run the service's compose healthcheck command against ``port`` instead of its own."""
    compose = yaml.safe_load((Path(__file__).parents[3] / "compose.yaml").read_text())
    worker = compose["services"][service]
    configured = worker["environment"]["PA_WORKER_HTTP_PORT"]
    command = worker["healthcheck"]["test"]
    assert command[:3] == ["CMD", "python", "-c"], command
    code = command[3]
    assert f"127.0.0.1:{configured}/readyz" in code
    check = code.replace(f":{configured}/", f":{port}/")
    return subprocess.run([sys.executable, "-c", check], timeout=30).returncode


def test_bare_procrastinate_worker_serves_the_endpoints(
    database_url: str, tmp_path: Path, probe_tasks: None
) -> None:
    port = free_port()
    log = (tmp_path / "bare.log").open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "procrastinate",
            "--app=personal_assistant.workers.app.app",
            "worker",
            "--queues=sync_tasks",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PA_WORKER_HTTP_PORT": str(port)},
    )
    try:
        wait_for(lambda: http_get(port, "/readyz")[0] == 200, 30, "the bare worker to be ready")
        job = defer_jobs(database_url, "probe:nap", 1)[0]
        wait_for(lambda: job_status(database_url, job) == "succeeded", 30, "the job")
        samples = metric_samples(http_get(port, "/metrics")[1])
        jobs = "pa_jobs_total"
        assert sample(samples, jobs, task="probe:nap", queue="sync_tasks", outcome="succeeded") == 1
        assert run_compose_healthcheck("worker-sync", port) == 0
    finally:
        process.terminate()
        process.wait(30)
        log.close()


def test_metrics_command_serves_database_metrics(database_url: str, tmp_path: Path) -> None:
    defer_jobs(database_url, "probe:nap", 2)
    port = free_port()
    log = (tmp_path / "metrics.log").open("wb")
    process = subprocess.Popen(
        [*PA_TASKS, "metrics", "--port", str(port)], stdout=log, stderr=subprocess.STDOUT
    )
    try:
        _, body = wait_for(
            lambda: (reply := http_get(port, "/metrics"))[0] == 200 and reply, 30, "/metrics"
        )
        samples = metric_samples(body)
        assert sample(samples, "pa_queue_jobs", queue="sync_tasks", status="todo") == 2
        assert sample(samples, "pa_workers", state="live") == 0
        assert sample(samples, "pa_queue_oldest_todo_age_seconds", queue="sync_tasks") >= 0
        assert not any(name == "pa_jobs_total" for name, _ in samples)
    finally:
        process.terminate()
        code = process.wait(30)
        log.close()
    assert code == 0, (tmp_path / "metrics.log").read_text()
