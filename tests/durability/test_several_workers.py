"""Several worker processes draining one queue run every job exactly once."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

import psycopg

from tests.support.db import query, scalar
from tests.support.processes import running_worker, wait_for

JOBS = 90


def test_three_workers_run_each_job_once(database_url: str, tmp_path: Path) -> None:
    with ExitStack() as stack:
        for name in ("a", "b", "c"):
            stack.enter_context(
                running_worker(
                    tmp_path, "--queues", "maintenance_tasks", "--concurrency", "3", name=name
                )
            )
        # All at once, while every worker listens: they compete for the same rows.
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute(
                "SELECT procrastinate_defer_jobs_v1(array_agg(ROW('maintenance_tasks',"
                " 'maintenance:ping', 0, NULL, NULL, jsonb_build_object('message', n::text),"
                " NULL)::procrastinate_job_to_defer_v1)) FROM generate_series(1, %s) AS n",
                (JOBS,),
            )
        wait_for(
            lambda: (
                scalar(
                    database_url,
                    "SELECT count(*) FROM procrastinate_jobs"
                    " WHERE task_name = 'maintenance:ping' AND status = 'succeeded'",
                )
                == JOBS
            ),
            120,
            "every job to succeed",
            every=0.5,
        )
    starts = query(
        database_url,
        "SELECT count(*) FROM procrastinate_events AS e JOIN procrastinate_jobs AS j ON j.id = e.job_id"
        " WHERE e.type = 'started' AND j.task_name = 'maintenance:ping' GROUP BY e.job_id"
        " HAVING count(*) <> 1",
    )
    assert starts == [], "a job started more than once"
    assert scalar(database_url, "SELECT count(*) FROM ping_records") == JOBS
