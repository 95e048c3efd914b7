"""Upkeep services against a real database: vacuum, expired sessions, old records."""

from __future__ import annotations

import psycopg

from personal_assistant.db.session import dispose_engine, session_scope
from personal_assistant.maintenance.pruning import Retention, prune_old_records
from personal_assistant.maintenance.sessions import delete_expired_sessions
from personal_assistant.maintenance.vacuum import optimize_database
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
    succeeded_hours=24, failed_hours=720, heartbeat_days=30, ai_run_days=90, notification_days=90
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
        # A finished job long past retention: the queue's own prune removes it, not this.
        job = conn.execute(
            "INSERT INTO procrastinate_jobs (queue_name, task_name, args, status) "
            "VALUES ('maintenance_tasks', 'maintenance:ping', '{}', 'todo') RETURNING id"
        ).fetchone()
        assert job is not None
        conn.execute("UPDATE procrastinate_jobs SET status = 'succeeded' WHERE id = %s", (job[0],))
        conn.execute(
            "UPDATE procrastinate_events SET at = now() - interval '10 days' WHERE job_id = %s",
            (job[0],),
        )
        # Errors of a job deleted another way: one past the failed-job retention, one not.
        conn.execute(
            "INSERT INTO job_errors (job_id, attempt, task_name, queue, error_type, message,"
            " traceback, failed_at) VALUES"
            " (-6, 1, 'gone', 'q', 'E', 'm', 't', now() - interval '40 days'),"
            " (-7, 1, 'gone', 'q', 'E', 'm', 't', now() - interval '1 day')"
        )
        conn.execute(
            "INSERT INTO job_results (job_id, task_name, result, recorded_at) VALUES"
            " (%s, 't', '{}', now() - interval '3 days'),"
            " (-5, 'gone', '{}', now() - interval '3 days'),"
            " (-6, 'gone', '{}', now())",
            (job[0],),
        )
        task = conn.execute(
            "INSERT INTO ai_tasks (user_id, title, instructions, schedule_text, schedule_kind,"
            " schedule_normalized, timezone, status, channel, run_count, consecutive_failures)"
            " VALUES ('ann', 't', 'i', 'daily', 'cron', 'x', 'UTC', 'active', 'log', 0, 0)"
            " RETURNING id"
        ).fetchone()
        assert task is not None
        conn.execute(
            "INSERT INTO ai_task_runs (task_id, scheduled_for, finished_at, status, tool_calls)"
            " VALUES (%(t)s, now() - interval '100 days', now() - interval '100 days',"
            " 'succeeded', '[]'),"
            " (%(t)s, now() - interval '99 days', NULL, 'running', '[]'),"
            " (%(t)s, now() - interval '1 day', now() - interval '1 day', 'succeeded', '[]')",
            {"t": task[0]},
        )
        conn.execute(
            "INSERT INTO notifications (user_id, channel, subject, body, status, attempts, created_at)"
            " VALUES ('ann', 'log', 's', 'b', 'delivered', 1, now() - interval '91 days'),"
            " ('ann', 'log', 's', 'b', 'delivered', 1, now())"
        )

    async with session_scope() as session:
        report = await prune_old_records(session, RETENTION)
    await dispose_engine()

    assert report.deleted == {
        "orphan_results": 1,
        "orphan_errors": 1,
        "scheduler_heartbeats": 2,
        "ai_task_runs": 1,
        "notifications": 1,
    }
    assert query(database_url, "SELECT job_id FROM scheduler_heartbeats") == [(3,)]
    assert scalar(database_url, "SELECT count(*) FROM procrastinate_jobs") == 1
    assert query(database_url, "SELECT job_id FROM job_results ORDER BY 1") == [(-6,), (job[0],)]
    assert scalar(database_url, "SELECT count(*) FROM ai_task_runs") == 2
    assert scalar(database_url, "SELECT count(*) FROM notifications") == 1
    assert query(database_url, "SELECT job_id FROM job_errors") == [(-7,)]
