"""``pa-tasks queues scale`` changes a running worker's concurrency, without a restart."""

from __future__ import annotations

import time
from pathlib import Path

from tests.support.db import query, scalar
from tests.support.processes import run_cli, running_worker, wait_for

DOING = "SELECT count(*) FROM procrastinate_jobs WHERE status = 'doing' AND queue_name = %s"


def doing(url: str, queue: str = "maintenance_tasks") -> int:
    return int(scalar(url, DOING, queue))


def test_scale_up_and_down_on_a_running_worker(database_url: str, tmp_path: Path) -> None:
    # Enough 2 s jobs to keep the queue busy through both scale commands.
    query(
        database_url,
        """INSERT INTO procrastinate_jobs (queue_name, task_name, args)
           SELECT 'maintenance_tasks', 'maintenance:ping',
                  jsonb_build_object('message', 's' || i, 'delay_seconds', 2)
             FROM generate_series(1, 30) AS i RETURNING id""",
    )
    with running_worker(tmp_path, "--queues", "maintenance_tasks", "--concurrency", "1") as worker:
        wait_for(lambda: doing(database_url) == 1, 30, "the first job")
        seen = set()
        for _ in range(15):
            seen.add(doing(database_url))
            time.sleep(0.1)
        assert max(seen) == 1  # 0 for an instant between two jobs

        scaled = run_cli("queues", "scale", "maintenance_tasks", "3", "--json")
        assert scaled.code == 0, scaled.err
        assert scaled.json()["concurrency"] == 3
        worker.wait_for_log('"action": "queue_scaled"', timeout=3)
        wait_for(lambda: doing(database_url) == 3, 5, "three jobs at once")
        assert max(doing(database_url) for _ in range(10)) <= 3

        assert run_cli("queues", "scale", "maintenance_tasks", "1").code == 0
        # Running jobs finish; no new one starts until only one is left running.
        wait_for(lambda: doing(database_url) == 1, 10, "back to one at a time")
        for _ in range(10):
            assert doing(database_url) <= 1
            time.sleep(0.1)
    listed = run_cli("queues", "--json").json()
    assert listed["maintenance_tasks"]["concurrency"] == 1
