"""Revision 0010 renames stored task names, so work queued under an old name still runs."""

from __future__ import annotations

import psycopg

from personal_assistant.db import migrate
from personal_assistant.jobs.lookup import registered_tasks

OLD_HEARTBEAT = "upkeep:test_scheduler_connection"
NEW_HEARTBEAT = "maintenance:record_scheduler_heartbeat"
OLD_VACUUM = "upkeep:optimize_database"
NEW_VACUUM = "maintenance:optimize_database"


def _seed(url: str) -> None:
    with psycopg.connect(url) as conn:
        job_id = conn.execute(
            """
            INSERT INTO procrastinate_jobs (queue_name, task_name, args, status, scheduled_at)
            VALUES ('maintenance_tasks', %s, '{"timestamp": 0}', 'todo', now() + interval '1 h')
            RETURNING id
            """,
            (OLD_HEARTBEAT,),
        ).fetchone()
        assert job_id is not None
        conn.execute(
            "INSERT INTO procrastinate_jobs (queue_name, task_name, args, status)"
            " VALUES ('maintenance_tasks', 'maintenance:ping', '{}', 'todo')"
        )
        conn.execute(
            "INSERT INTO procrastinate_periodic_defers"
            " (task_name, defer_timestamp, job_id, periodic_id)"
            " VALUES (%s, 1700000000, %s, 'test_scheduler_connection')",
            (OLD_HEARTBEAT, job_id[0]),
        )
        conn.execute(
            "INSERT INTO schedules (name, task_name, args, schedule_text, kind, normalized,"
            " timezone, enabled, misfire_policy)"
            " VALUES ('weekly vacuum', %s, '{}', 'every sunday at 3am', 'rrule', 'x', 'UTC',"
            " true, 'skip')",
            (OLD_VACUUM,),
        )
        conn.execute(
            "INSERT INTO job_chains (steps, current_step, status) VALUES (%s, 0, 'running')",
            (
                f'[{{"task": "maintenance:ping", "args": {{}}}}, {{"task": "{OLD_VACUUM}", "args": {{}}}}]',
            ),
        )


def _stored(url: str) -> dict[str, object]:
    with psycopg.connect(url) as conn:
        return {
            "jobs": sorted(r[0] for r in conn.execute("SELECT task_name FROM procrastinate_jobs")),
            "defers": conn.execute(
                "SELECT task_name, periodic_id, defer_timestamp FROM procrastinate_periodic_defers"
            ).fetchall(),
            "schedules": [r[0] for r in conn.execute("SELECT task_name FROM schedules")],
            "chain": [
                step["task"]
                for (steps,) in conn.execute("SELECT steps FROM job_chains")
                for step in steps
            ],
            "events": conn.execute("SELECT count(*) FROM procrastinate_events").fetchone(),
        }


def test_old_task_names_are_renamed_and_back(empty_database: str) -> None:
    migrate.upgrade(empty_database, "0009_merge_domains")
    _seed(empty_database)
    before = _stored(empty_database)

    migrate.upgrade(empty_database)
    after = _stored(empty_database)
    assert after["jobs"] == ["maintenance:ping", NEW_HEARTBEAT]
    assert after["defers"] == [(NEW_HEARTBEAT, "record_scheduler_heartbeat", 1700000000)]
    assert after["schedules"] == [NEW_VACUUM]
    assert after["chain"] == ["maintenance:ping", NEW_VACUUM]
    # Renaming a waiting job is not a new scheduling event.
    assert after["events"] == before["events"]
    # Every renamed name is one the App runs.
    assert {NEW_HEARTBEAT, NEW_VACUUM} <= set(registered_tasks())

    migrate.downgrade(empty_database, "0009_merge_domains")
    assert _stored(empty_database) == before
