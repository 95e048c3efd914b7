"""Finished jobs are pruned after their retention; failed ones are kept longer."""

from __future__ import annotations

from personal_assistant.db.session import dispose_engine, session_scope
from personal_assistant.jobs.retention import prune_finished_jobs
from tests.support.db import query

JOBS = {
    # name: (status, age of the last event in hours)
    "old_success": ("succeeded", 200),
    "new_success": ("succeeded", 10),
    "old_cancelled": ("cancelled", 200),
    # Aborted on request: an operator's decision, not a failure; kept like a success.
    "old_aborted": ("aborted", 200),
    "new_aborted": ("aborted", 10),
    "old_failure": ("failed", 200),
    "ancient_failure": ("failed", 800),
    "waiting": ("todo", 900),
}


def seed(url: str) -> None:
    import psycopg

    with psycopg.connect(url) as conn:
        for name, (status, hours) in JOBS.items():
            job_id = conn.execute(
                "INSERT INTO procrastinate_jobs (queue_name, task_name, status, args)"
                " VALUES ('maintenance_tasks', 'maintenance:ping', %s, %s) RETURNING id",
                (status, f'{{"message": "{name}"}}'),
            ).fetchone()[0]  # type: ignore[index]
            conn.execute(
                "INSERT INTO procrastinate_events (job_id, type, at)"
                " VALUES (%s, 'deferred', now() - make_interval(hours => %s))",
                (job_id, hours),
            )
            conn.execute(
                "INSERT INTO job_results (job_id, task_name, result) VALUES (%s, 'x', '{}')",
                (job_id,),
            )
            conn.execute(
                "INSERT INTO job_errors (job_id, attempt, task_name, queue, error_type, message,"
                " traceback) VALUES (%s, 1, 'x', 'q', 'E', 'm', 't')",
                (job_id,),
            )


async def test_prune_keeps_failures_longer(database_url: str) -> None:
    seed(database_url)
    async with session_scope() as session:
        report = await prune_finished_jobs(session, succeeded_hours=168, failed_hours=720)
    await dispose_engine()
    left = {r[0] for r in query(database_url, "SELECT args->>'message' FROM procrastinate_jobs")}
    assert left == {"new_success", "new_aborted", "old_failure", "waiting"}
    assert report.deleted == 4
    results = query(database_url, "SELECT count(*) FROM job_results")
    assert results == [(4,)]
    # A job's errors go with it, and only with it.
    kept = query(
        database_url,
        "SELECT count(*) FROM job_errors e JOIN procrastinate_jobs j ON j.id = e.job_id",
    )
    assert kept == [(4,)]
    assert query(database_url, "SELECT count(*) FROM job_errors") == [(4,)]
