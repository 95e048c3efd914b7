"""Flow-control figures: cancel by filter, and the cost of claims with and without ageing.

    .venv/bin/python ops/bench/flow.py [--jobs 10000] [--runs 3] [--database-url URL]

- cancel: ``pa-tasks jobs cancel --status todo --queue Q --task T --yes`` on ``--jobs``
  waiting jobs (whole command, process start included), and the service call alone.
- claim: median time of one ``pa_claim_jobs`` of one job (a worker that does not batch)
  and of ``--batch`` jobs, with ``--jobs`` waiting jobs spread over ``--levels``
  priorities or over one, ageing on and off; procrastinate's own fetch as the baseline.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql
from psycopg.abc import Query

sys.path.append(str(Path(__file__).resolve().parents[2]))

INSERT = """
INSERT INTO procrastinate_jobs (queue_name, task_name, priority, args)
SELECT 'maintenance_tasks', 'maintenance:ping', i %% %s, '{}'::jsonb
  FROM generate_series(1, %s) AS i
"""


FETCH_V2 = "SELECT id FROM procrastinate_fetch_job_v2(NULL, %s)"


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def cancel_cli(url: str, jobs: int) -> float:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(INSERT, (1, jobs))
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "personal_assistant.cli.main", "jobs", "cancel", "--status",
         "todo", "--queue", "maintenance_tasks", "--task", "maintenance:ping", "--yes"],
        capture_output=True, text=True, env={**os.environ, "DATABASE_URL": url}, check=True,
    )  # fmt: skip
    elapsed = time.perf_counter() - started
    assert f"cancelled {jobs} " in done.stdout, done.stdout
    return elapsed


def cancel_service(url: str, jobs: int) -> float:
    from personal_assistant.cli.runtime import in_session
    from personal_assistant.db.url import database_url
    from personal_assistant.jobs import control
    from personal_assistant.settings import get_settings

    os.environ["DATABASE_URL"] = url
    get_settings.cache_clear()
    database_url.cache_clear()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(INSERT, (1, jobs))
    started = time.perf_counter()
    n = in_session(lambda s: control.cancel_waiting(s, queue="maintenance_tasks", task=None))
    elapsed = time.perf_counter() - started
    assert n == jobs, n
    return elapsed


def statement_times(
    url: str, jobs: int, levels: int, statement: Query, params: tuple[object, ...], repeats: int
) -> list[float]:
    """Times of ``statement`` (its first parameter: a worker id) on a freshly filled queue."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("TRUNCATE procrastinate_jobs CASCADE")  # no dead rows from the last figure
        conn.execute(INSERT, (levels, jobs))
        conn.execute("ANALYZE procrastinate_jobs")
        worker = conn.execute("INSERT INTO procrastinate_workers DEFAULT VALUES RETURNING id")
        worker_id = worker.fetchone()[0]  # type: ignore[index]
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            if not conn.execute(statement, (worker_id, *params)).fetchall():
                raise SystemExit("the queue ran dry: raise --jobs")
            times.append(time.perf_counter() - started)
    return times


def report(label: str, times: list[float]) -> None:
    print(
        f"  {label:<52} "
        f"median {statistics.median(times) * 1000:.2f} ms, "
        f"p95 {sorted(times)[int(len(times) * 0.95)] * 1000:.2f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--levels", type=int, default=5)
    parser.add_argument("--fetches", type=int, default=200)
    parser.add_argument("--batch", type=int, default=10, help="jobs per claim")
    parser.add_argument("--database-url", help="a server where databases may be created")
    args = parser.parse_args()

    from personal_assistant.db import migrate

    server = None
    admin = args.database_url
    if not admin:
        from tests.support.postgres import start_test_server

        progress("starting a throwaway PostgreSQL ...")
        server = start_test_server()
        admin = server.admin_url
    name = f"pa_bench_flow_{os.getpid()}"
    url = urlunsplit(urlsplit(admin)._replace(path=f"/{name}"))
    try:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        migrate.upgrade(url)
        cli = [cancel_cli(url, args.jobs) for _ in range(args.runs)]
        service = [cancel_service(url, args.jobs) for _ in range(args.runs)]
        print(f"cancel by filter, {args.jobs:,} waiting jobs, median of {args.runs} runs:")
        print(f"  pa-tasks jobs cancel --status todo ... --yes  {statistics.median(cli):.2f} s")
        print(f"  control.cancel_waiting (service only)         {statistics.median(service):.2f} s")
        print(f"{args.jobs:,} waiting jobs:")
        report(
            f"procrastinate_fetch_job_v2, {args.levels} priorities",
            statement_times(url, args.jobs, args.levels, FETCH_V2, (), args.fetches),
        )
        claim = "SELECT id FROM pa_claim_jobs(NULL, NULL, %s, %s, %s)"
        for wanted in (1, args.batch):
            for levels, ageing in ((1, 60.0), (args.levels, 0.0), (args.levels, 60.0)):
                times = statement_times(
                    url, args.jobs, levels, claim, (ageing, wanted), args.fetches
                )
                label = f"pa_claim_jobs of {wanted}, {levels} priorities, ageing {ageing:g} s"
                report(label, times)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
        if server is not None:
            server.close()


if __name__ == "__main__":
    main()
