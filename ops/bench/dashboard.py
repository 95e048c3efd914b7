"""Dashboard page times with one million jobs in the queue table.

    .venv/bin/python ops/bench/dashboard.py [--jobs 1000000] [--requests 40]

Seeds the jobs (and their events: deferred, started, outcome) spread over the last
seven days with INSERT ... SELECT FROM generate_series, runs VACUUM ANALYZE (what
autovacuum would have done), then requests every page through the ASGI app in this
process and reports each page's server time: the first (cold) request, then p50 and
p95 of the rest. Progress goes to stderr, the report (Markdown) to stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

import psycopg
from psycopg import sql

sys.path.append(str(Path(__file__).resolve().parents[2]))

import machine

SEED_JOBS = """
INSERT INTO procrastinate_jobs
       (id, queue_name, task_name, priority, lock, args, status, attempts)
SELECT i,
       (ARRAY['ai_tasks','email_tasks','file_tasks','sync_tasks','maintenance_tasks'])[1 + i % 5],
       (ARRAY['ai:run_ai_task','email:send_email','files:cleanup_temp_files','sync:sync_calendar_events',
              'maintenance:ping','general:run_command','notifications:notify',
              'email:process_email_queue'])[1 + (i / 7) % 8],
       0,
       CASE WHEN i % 5 = 1 THEN 'email:' || (i / 5) END,
       jsonb_build_object('message', 'm' || (i % 1000), 'user', 'u' || (i % 50), 'n', i),
       (CASE WHEN i > %(jobs)s - %(todo)s THEN 'todo'
             WHEN i % 20 = 3 THEN 'failed'
             WHEN i % 50 = 7 THEN 'cancelled'
             WHEN i % 997 = 11 THEN 'aborted'
             ELSE 'succeeded' END)::procrastinate_job_status,
       CASE WHEN i % 20 = 3 THEN 3 ELSE 1 END
  FROM generate_series(1, %(jobs)s) AS i
"""
# Job i was deferred at now() - (jobs - i) * step, started 0.2 s later, and took
# 0.05 to 2 s; jobs still to do have only their "deferred" event.
SEED_EVENTS = """
WITH j AS (
    SELECT id, status,
           now() - make_interval(secs => (%(jobs)s - id) * %(step)s) AS deferred_at,
           0.05 + (id %% 40) * 0.05 AS took
      FROM procrastinate_jobs
)
INSERT INTO procrastinate_events (job_id, type, at)
SELECT id, 'deferred'::procrastinate_job_event_type, deferred_at FROM j
UNION ALL
SELECT id, 'started'::procrastinate_job_event_type, deferred_at + interval '0.2 s' FROM j WHERE status <> 'todo'
UNION ALL
SELECT id, status::text::procrastinate_job_event_type,
       deferred_at + interval '0.2 s' + make_interval(secs => took)
  FROM j WHERE status <> 'todo'
"""

PAGES = [
    ("overview", "/"),
    ("health verdicts (loaded after the overview)", "/health"),
    ("jobs, newest", "/jobs"),
    ("jobs, failed", "/jobs?status=failed"),
    ("jobs, queue + status", "/jobs?queue=email_tasks&status=succeeded"),
    ("jobs, task", "/jobs?task=maintenance:ping"),
    ("jobs, argument user:u7", "/jobs?arg=user:u7"),
    ("jobs, argument n:123456 (rare)", "/jobs?arg=n:123456"),
    ("jobs, since 1h", "/jobs?since=1h"),
    ("jobs, page 1000 (keyset)", "/jobs?before=500000"),
    ("jobs, lock", "/jobs?lock=email:1000"),
    ("job detail", "/jobs/123458"),
    ("queues", "/queues"),
    ("schedules", "/schedules"),
    ("schedule preview", "/schedules/preview?schedule=every+weekday+at+8:30"),
    ("ai", "/ai"),
    ("email", "/email"),
    ("breakers", "/breakers"),
    ("alerts", "/alerts"),
    ("audit", "/audit"),
]


def progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def seed(url: str, jobs: int, span_seconds: float = 7 * 86400, todo: int = 2000) -> None:
    step = span_seconds / jobs
    with psycopg.connect(url, autocommit=True) as conn:
        # Seeding writes rows as they would be after the fact: no triggers, no NOTIFY.
        conn.execute("SET session_replication_role = replica")
        started = time.perf_counter()
        conn.execute(SEED_JOBS.replace("%(jobs)s", str(jobs)).replace("%(todo)s", str(todo)))
        conn.execute(
            "SELECT setval('procrastinate_jobs_id_seq', (SELECT max(id) FROM procrastinate_jobs))"
        )
        conn.execute(SEED_EVENTS, {"jobs": jobs, "step": step})
        progress(f"seeded {jobs:,} jobs in {time.perf_counter() - started:.0f} s")
        conn.execute("VACUUM ANALYZE procrastinate_jobs")
        conn.execute("VACUUM ANALYZE procrastinate_events")
        events = conn.execute("SELECT count(*) FROM procrastinate_events").fetchone()
        progress(f"{events[0] if events else 0:,} events; vacuumed and analysed")


async def measure(url: str, requests: int) -> list[tuple[str, str, float, float, float, int]]:
    import httpx

    os.environ["DATABASE_URL"] = url
    from personal_assistant.db.session import dispose_engine
    from personal_assistant.web import create_app

    app = create_app()
    rows = []
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        for name, path in PAGES:
            times = []
            status = 0
            for _ in range(requests + 1):
                started = time.perf_counter()
                response = await client.get(path)
                times.append((time.perf_counter() - started) * 1000)
                status = response.status_code
            cold, warm = times[0], sorted(times[1:])
            p95 = warm[max(0, round(0.95 * len(warm)) - 1)]
            rows.append((name, path, cold, statistics.median(warm), p95, status))
            progress(f"{name}: p95 {p95:.1f} ms (status {status})")
    await dispose_engine()
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--jobs", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=40, help="timed requests per page")
    parser.add_argument("--database-url", help="a server where a database may be created")
    args = parser.parse_args(argv)

    from tests.support.postgres import start_test_server

    from personal_assistant.db import migrate

    server = None
    if args.database_url:
        admin_url = args.database_url
    else:
        server = start_test_server()
        admin_url = server.admin_url
    name = "pa_bench_dashboard"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = server.url_for(name) if server else admin_url.rsplit("/", 1)[0] + f"/{name}"
    try:
        migrate.upgrade(url)
        seed(url, args.jobs)
        rows = asyncio.run(measure(url, args.requests))
        with psycopg.connect(url) as conn:
            version = conn.execute("SHOW server_version").fetchone()
    finally:
        if server:
            server.close()
    print(f"{args.jobs:,} jobs; {args.requests} timed requests per page after one cold one.")
    print(
        f"Machine: {machine.cpu_model()}, {machine.cores()}, {machine.memory()}; "
        f"PostgreSQL {version[0] if version else '?'}; load average {os.getloadavg()[0]:.2f}."
    )
    print()
    print("| page | request | cold ms | p50 ms | p95 ms | status |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for page, path, cold, p50, p95, status in rows:
        print(f"| {page} | `{path}` | {cold:.1f} | {p50:.1f} | {p95:.1f} | {status} |")


if __name__ == "__main__":
    main()
