"""A pause reaches every worker (the product's and the bare procrastinate one) at once;
waiting jobs stay ``todo``, running ones finish, deferring still works; resume drains."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.db import job_events, job_status, query, scalar, table_counts
from tests.support.processes import run_cli, running_worker, wait_for


@contextmanager
def bare_procrastinate_worker(tmp_path: Path, queues: str) -> Iterator[Path]:
    log_path = tmp_path / "procrastinate.log"
    log = log_path.open("wb")
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "procrastinate",
            "--verbose",
            "--app=personal_assistant.workers.app.app",
            "worker",
            f"--queues={queues}",
            "--concurrency=2",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=os.environ.copy(),
    )
    try:
        wait_for(lambda: "Starting worker" in log_path.read_text(errors="replace"), 30, "start")
        yield log_path
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(30)
        log.close()


def statuses(url: str, ids: list[int]) -> list[str]:
    return [job_status(url, i) or "?" for i in ids]


def defer_pings(n: int, delay: float = 0) -> list[int]:
    return [
        int(
            run_cli(
                "defer", "ping", "--args", f'{{"message": "p{i}", "delay_seconds": {delay}}}'
            ).out
        )
        for i in range(n)
    ]


def test_pause_and_resume_reach_two_worker_processes(database_url: str, tmp_path: Path) -> None:
    with (
        running_worker(tmp_path, "--queues", "maintenance_tasks", "--concurrency", "2") as product,
        bare_procrastinate_worker(tmp_path, "maintenance_tasks") as bare_log,
    ):
        # A job running when the pause lands finishes.
        [running] = defer_pings(1, delay=12)
        wait_for(lambda: "started" in job_events(database_url, running), 30, "the long job")

        paused = run_cli("queues", "pause", "maintenance_tasks", "--reason", "disk swap")
        assert paused.code == 0, paused.err
        assert "paused" in paused.out
        # Both processes hear it through NOTIFY, well before the 5 s re-check.
        product.wait_for_log('"action": "queue_paused"', timeout=3)
        wait_for(lambda: "queue maintenance_tasks paused" in bare_log.read_text(), 3, "bare log")

        waiting = defer_pings(6)  # deferring to a paused queue works: the jobs wait
        wait_for(lambda: job_status(database_url, running) == "succeeded", 40, "the long job")
        assert scalar(
            database_url,
            """SELECT e.at > c.paused_at FROM procrastinate_events e, queue_controls c
                WHERE e.job_id = %s AND e.type = 'succeeded'
                  AND c.queue = 'maintenance_tasks'""",
            running,
        ), "the running job finished after the pause"
        time.sleep(2.5)  # longer than the poll interval (1 s in tests) and several wake-ups
        assert statuses(database_url, waiting) == ["todo"] * 6

        listed = run_cli("queues", "--json")
        assert listed.code == 0, listed.err
        overview = listed.json()
        assert overview["maintenance_tasks"]["paused"] is True
        assert overview["maintenance_tasks"]["pause_reason"] == "disk swap"
        assert overview["maintenance_tasks"]["todo"] >= 6  # with periodic jobs deferred since
        assert overview["ai_tasks"]["paused"] is False
        table_out = run_cli("queues").out
        assert "paused" in table_out and "disk swap" in table_out

        health = run_cli("health", "--json").json()
        check = next(c for c in health["checks"] if c["name"] == "paused queues")
        assert check["status"] == "warn" and "maintenance_tasks" in check["detail"]

        resumed = run_cli("queues", "resume", "maintenance_tasks")
        assert resumed.code == 0, resumed.err
        wait_for(lambda: statuses(database_url, waiting) == ["succeeded"] * 6, 10, "the drain")
        product.wait_for_log('"action": "queue_resumed"', timeout=3)

    workers = {
        row[0]
        for row in query(
            database_url,
            "SELECT DISTINCT p.worker FROM ping_records p WHERE p.job_id = ANY(%s)",
            waiting,
        )
    }
    assert workers, "the waiting jobs ran after the resume"
    assert (
        scalar(database_url, "SELECT paused FROM queue_controls WHERE queue = 'maintenance_tasks'")
        is False
    )


def test_a_pause_survives_a_worker_restart(database_url: str, tmp_path: Path) -> None:
    assert run_cli("queues", "pause", "maintenance_tasks").code == 0
    waiting = defer_pings(2)
    with running_worker(tmp_path, "--queues", "maintenance_tasks"):
        time.sleep(2)
        assert statuses(database_url, waiting) == ["todo", "todo"]
        assert run_cli("queues", "resume", "maintenance_tasks").code == 0
        wait_for(lambda: statuses(database_url, waiting) == ["succeeded"] * 2, 10, "the drain")


def test_pausing_an_unknown_queue_is_bad_input(database_url: str) -> None:
    before = table_counts(database_url)
    for args in (
        ["queues", "pause", "nope"],
        ["queues", "resume", "nope"],
        ["queues", "scale", "nope", "2"],
        ["queues", "scale", "ai_tasks", "0"],
        ["queues", "scale", "ai_tasks", "100000"],
        ["queues", "pause", "ai_tasks", "--reason", "x" * 600],
        ["queues", "pause", "ai_tasks", "--reason", "bell\x07"],
    ):
        result = run_cli(*args)
        assert result.code == 2, (args, result.out, result.err)
        assert len(result.err.strip().splitlines()) == 1, (args, result.err)
        assert "Traceback" not in result.err
    assert "unknown queue 'nope'" in run_cli("queues", "pause", "nope").err
    assert table_counts(database_url) == before
