"""Upkeep services against a real database: vacuum, expired sessions, old records."""

from __future__ import annotations

from dataclasses import replace

import psycopg

from personal_assistant.db.session import dispose_engine, session_scope
from personal_assistant.upkeep.logs import Retention, prune_old_records
from personal_assistant.upkeep.sessions import delete_expired_sessions
from personal_assistant.upkeep.vacuum import optimize_database
from tests.support.db import query, scalar
from tests.support.processes import wait_for


def _dead_tuples(url: str, table: str) -> int:
    value = scalar(url, "SELECT n_dead_tup FROM pg_stat_user_tables WHERE relname = %s", table)
    return int(value or 0)


async def test_optimize_reports_dead_tuples_before_and_after(database_url: str) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        # Autovacuum must not clean up before the task gets to measure.
        conn.execute("ALTER TABLE ping_records SET (autovacuum_enabled = false)")
        conn.execute(
            "INSERT INTO ping_records (job_id, message) "
            "SELECT g, 'x' FROM generate_series(1, 500) AS g"
        )
        conn.execute("DELETE FROM ping_records")
    wait_for(lambda: _dead_tuples(database_url, "ping_records") >= 500, 10, "dead tuple stats")

    report = await optimize_database(database_url)

    assert {"ping_records", "procrastinate_jobs", "calendar_events"} <= set(report.tables)
    assert report.before["ping_records"] >= 500
    assert report.after["ping_records"] == 0
    summary = report.as_json()
    assert summary["dead_tuples_before"] >= 500
    assert summary["by_table"]["ping_records"] == {
        "before": report.before["ping_records"],
        "after": 0,
    }
    analyzed = scalar(
        database_url,
        "SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables WHERE relname = 'ping_records'",
    )
    assert analyzed is True


async def test_expired_sessions_are_deleted_and_others_kept(database_url: str) -> None:
    with psycopg.connect(database_url) as conn:
        conn.execute(
            """
            INSERT INTO user_sessions (user_id, token_hash, expires_at) VALUES
              ('ann', 'h1', now() - interval '1 day'),
              ('ann', 'h2', now() - interval '1 second'),
              ('bob', 'h3', now() - interval '90 days'),
              ('ann', 'h4', now() + interval '1 hour'),
              ('bob', 'h5', now() + interval '30 days')
            """
        )

    async with session_scope() as session:
        deleted = await delete_expired_sessions(session)
    async with session_scope() as session:
        again = await delete_expired_sessions(session)
    await dispose_engine()

    assert (deleted, again) == (3, 0)
    remaining = query(database_url, "SELECT token_hash FROM user_sessions ORDER BY 1")
    assert remaining == [("h4",), ("h5",)]


RETENTION = Retention(
    succeeded_hours=24,
    failed_hours=24 * 30,
    heartbeat_days=30,
    optional_days={
        "upkeep_demo_runs": 7,
        "ai_task_runs": 90,
        "notifications": 90,
    },
)


async def test_old_records_are_pruned_past_their_retention(database_url: str) -> None:
    with psycopg.connect(database_url) as conn:
        conn.execute(
            """
            INSERT INTO scheduler_heartbeats (job_id, deferred_at, ran_at) VALUES
              (1, now() - interval '40 days', now() - interval '40 days'),
              (2, now() - interval '31 days', now() - interval '31 days'),
              (3, now(), now())
            """
        )
        # Two finished jobs: one long ago, one just now.
        for job_age in ("10 days", "1 minute"):
            job = conn.execute(
                "INSERT INTO procrastinate_jobs (queue_name, task_name, args, status) "
                "VALUES ('maintenance_tasks', 'maintenance:ping', '{}', 'todo') RETURNING id"
            ).fetchone()
            assert job is not None
            conn.execute(
                "UPDATE procrastinate_jobs SET status = 'succeeded' WHERE id = %s", (job[0],)
            )
            conn.execute(
                "UPDATE procrastinate_events SET at = now() - %s::interval WHERE job_id = %s",
                (job_age, job[0]),
            )
            conn.execute(
                "INSERT INTO job_results (job_id, task_name, result) VALUES (%s, 't', '{}')",
                (job[0],),
            )
        conn.execute(
            "INSERT INTO job_results (job_id, task_name, result, recorded_at) "
            "VALUES (-5, 'gone', '{}', now() - interval '3 days')"
        )
        # Errors of a job deleted another way: one past the failed-job retention, one not.
        conn.execute(
            "INSERT INTO job_errors (job_id, attempt, task_name, queue, error_type, message,"
            " traceback, failed_at) VALUES"
            " (-6, 1, 'gone', 'q', 'E', 'm', 't', now() - interval '40 days'),"
            " (-7, 1, 'gone', 'q', 'E', 'm', 't', now() - interval '1 day')"
        )
        conn.execute(
            "CREATE TABLE upkeep_demo_runs (id bigserial PRIMARY KEY, finished_at timestamptz)"
        )
        conn.execute(
            "INSERT INTO upkeep_demo_runs (finished_at) "
            "VALUES (now() - interval '8 days'), (now() - interval '6 days'), (NULL)"
        )

    async with session_scope() as session:
        report = await prune_old_records(
            session,
            RETENTION,
            {
                "upkeep_demo_runs": ("finished_at", "created_at"),
                "upkeep_absent_table": ("created_at",),
            },
        )
    await dispose_engine()

    assert report.deleted == {
        "jobs": 1,
        "orphan_results": 1,
        "orphan_errors": 1,
        "scheduler_heartbeats": 2,
        "upkeep_demo_runs": 1,
    }
    assert report.skipped == {"upkeep_absent_table": "no retention configured"}
    assert query(database_url, "SELECT job_id FROM scheduler_heartbeats") == [(3,)]
    assert scalar(database_url, "SELECT count(*) FROM procrastinate_jobs") == 1
    assert scalar(database_url, "SELECT count(*) FROM job_results") == 1
    assert query(database_url, "SELECT job_id FROM job_errors") == [(-7,)]
    assert scalar(database_url, "SELECT count(*) FROM upkeep_demo_runs") == 2


async def test_optional_tables_are_skipped_when_absent_or_without_a_timestamp(
    database_url: str,
) -> None:
    async with session_scope() as session:
        report = await prune_old_records(
            session,
            replace(RETENTION, optional_days={"upkeep_demo_runs": 7, "ping_records": 1}),
            {"upkeep_demo_runs": ("created_at",), "ping_records": ("finished_at",)},
        )
        default = await prune_old_records(session, RETENTION)
    await dispose_engine()
    assert report.skipped == {
        "upkeep_demo_runs": "table does not exist",
        "ping_records": "no timestamp column (finished_at)",
    }
    for table in ("ai_task_runs", "notifications"):
        assert table in default.deleted or table in default.skipped
