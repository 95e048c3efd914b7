"""Per-key concurrency and rate limits hold across several worker processes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.db import query, scalar
from tests.support.processes import WorkerProcess, run_cli, wait_for

EXTRA = {"PA_EXTRA_TASK_MODULES": "tests.support.limited_tasks"}


def results(url: str, task: str) -> list[dict[str, float]]:
    rows = query(url, "SELECT result FROM job_results WHERE task_name = %s", task)
    return [r[0] for r in rows]


def three_workers(tmp_path: Path, concurrency: int = 4) -> list[WorkerProcess]:
    workers = [
        WorkerProcess(
            ["--queues", "maintenance_tasks", "--concurrency", str(concurrency), "--name", f"w{i}"],
            tmp_path / f"w{i}.log",
            env=EXTRA,
        )
        for i in range(3)
    ]
    for worker in workers:
        worker.wait_for_log('"action": "worker_start"')
    return workers


def max_overlap(intervals: list[tuple[float, float]]) -> int:
    points = sorted([(s, 1) for s, _ in intervals] + [(e, -1) for _, e in intervals])
    running = peak = 0
    for _, step in points:
        running += step
        peak = max(peak, running)
    return peak


@pytest.fixture
def extra_tasks(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in EXTRA.items():
        monkeypatch.setenv(key, value)


def test_concurrency_per_key_never_exceeds_its_limit(
    database_url: str, tmp_path: Path, extra_tasks: None
) -> None:
    for i in range(8):
        key = "alice" if i < 6 else "bob"
        args = json.dumps({"key": key, "seconds": 0.6})
        assert run_cli("defer", "limited:hold", "--args", args).code == 0
    # One slot each: three slots could run three of alice's jobs at once, so only the
    # limit keeps her at two, and no worker can take every job while the others wait.
    workers = three_workers(tmp_path, concurrency=1)
    try:
        wait_for(lambda: len(results(database_url, "limited:hold")) == 8, 60, "all holds")
    finally:
        for worker in workers:
            worker.terminate()
    by_key: dict[str, list[tuple[float, float]]] = {}
    for args, result in query(
        database_url,
        "SELECT j.args, r.result FROM procrastinate_jobs j"
        " JOIN job_results r ON r.job_id = j.id WHERE j.task_name = 'limited:hold'",
    ):
        by_key.setdefault(args["key"], []).append((result["start"], result["end"]))
    assert max_overlap(by_key["alice"]) <= 2, by_key["alice"]
    assert len({r["worker"] for r in results(database_url, "limited:hold")}) >= 2
    assert (
        scalar(database_url, "SELECT count(*) FROM procrastinate_jobs WHERE status = 'failed'") == 0
    )


def test_rate_limit_holds_over_a_window(
    database_url: str, tmp_path: Path, extra_tasks: None
) -> None:
    for _ in range(9):
        assert run_cli("defer", "limited:tick", "--args", '{"key": "llm"}').code == 0
    workers = three_workers(tmp_path)
    try:
        wait_for(lambda: len(results(database_url, "limited:tick")) == 9, 60, "all ticks")
    finally:
        for worker in workers:
            worker.terminate()
    starts = sorted(r["start"] for r in results(database_url, "limited:tick"))
    for i, start in enumerate(starts):
        in_window = [s for s in starts[i:] if s < start + 2.0]
        assert len(in_window) <= 3, starts
    assert starts[-1] - starts[0] >= 4.0  # 9 starts at 3 per 2 s need at least two refills
