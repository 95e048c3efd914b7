"""``pa-tasks jobs cancel --status todo --queue Q --task T``: every matching waiting job,
in batches, after showing the count; nothing else is touched."""

from __future__ import annotations

import time

from tests.support.db import query, scalar, table_counts
from tests.support.processes import run_cli

MANY = 10_000


def insert_jobs(url: str, n: int, queue: str, task: str) -> None:
    query(
        url,
        """INSERT INTO procrastinate_jobs (queue_name, task_name, args)
           SELECT %s, %s, jsonb_build_object('message', 'j' || i)
             FROM generate_series(1, %s) AS i RETURNING NULL""",
        queue,
        task,
        n,
    )


def count(url: str, status: str, queue: str, task: str) -> int:
    return int(
        scalar(
            url,
            "SELECT count(*) FROM procrastinate_jobs"
            " WHERE status = %s AND queue_name = %s AND task_name = %s",
            status,
            queue,
            task,
        )
    )


def test_cancel_ten_thousand_waiting_jobs(database_url: str) -> None:
    insert_jobs(database_url, MANY, "maintenance_tasks", "maintenance:ping")
    insert_jobs(database_url, 50, "maintenance_tasks", "maintenance:cleanup_files")
    insert_jobs(database_url, 50, "email_tasks", "maintenance:ping")

    asked = run_cli(
        "jobs", "cancel", "--status", "todo", "--queue", "maintenance_tasks",
        "--task", "maintenance:ping",
    )  # fmt: skip
    # No --yes and no answer: the question is shown and nothing happens.
    assert f"cancel {MANY} waiting job(s) on maintenance_tasks of maintenance:ping?" in asked.out
    assert asked.code != 0
    assert count(database_url, "todo", "maintenance_tasks", "maintenance:ping") == MANY

    started = time.perf_counter()
    done = run_cli(
        "jobs", "cancel", "--status", "todo", "--queue", "maintenance_tasks",
        "--task", "maintenance:ping", "--yes", timeout=300,
    )  # fmt: skip
    elapsed = time.perf_counter() - started
    assert done.code == 0, done.err
    assert f"cancelled {MANY} waiting job(s)" in done.out
    print(f"cancel by filter: {MANY} jobs in {elapsed:.2f} s (whole CLI run)")

    assert count(database_url, "cancelled", "maintenance_tasks", "maintenance:ping") == MANY
    assert count(database_url, "todo", "maintenance_tasks", "maintenance:cleanup_files") == 50
    assert count(database_url, "todo", "email_tasks", "maintenance:ping") == 50
    # Each job's timeline records the cancel, as a cancel by id does.
    events = scalar(
        database_url, "SELECT count(*) FROM procrastinate_events WHERE type = 'cancelled'"
    )
    assert events == MANY

    again = run_cli("jobs", "cancel", "--status", "todo", "--queue", "maintenance_tasks",
                    "--task", "maintenance:ping", "--yes")  # fmt: skip
    assert again.code == 0 and "nothing cancelled" in again.out


def test_confirmation_answered_yes_or_no(database_url: str) -> None:
    insert_jobs(database_url, 30, "sync_tasks", "sync:calendar")
    import subprocess

    from tests.support.processes import PA_TASKS

    def answer(text: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*PA_TASKS, "jobs", "cancel", "--status", "todo", "--queue", "sync_tasks"],
            input=text,
            capture_output=True,
            text=True,
            timeout=60,
        )

    refused = answer("n\n")
    assert refused.returncode == 1 and "nothing cancelled" in refused.stdout
    assert count(database_url, "todo", "sync_tasks", "sync:calendar") == 30
    accepted = answer("y\n")
    assert accepted.returncode == 0, accepted.stderr
    assert "cancelled 30 waiting job(s) on sync_tasks" in accepted.stdout
    assert count(database_url, "cancelled", "sync_tasks", "sync:calendar") == 30


def test_bad_filters_are_one_line_and_write_nothing(database_url: str) -> None:
    insert_jobs(database_url, 5, "maintenance_tasks", "maintenance:ping")
    before = table_counts(database_url)
    for args in (
        ["--status", "doing", "--queue", "maintenance_tasks", "--yes"],
        ["--status", "nope", "--yes"],
        ["--status", "todo", "--queue", "nope", "--yes"],
        ["--queue", "maintenance_tasks", "--yes"],
        ["--status", "todo", "--abort", "--yes"],
        ["1", "--status", "todo", "--yes"],
        [],
    ):
        result = run_cli("jobs", "cancel", *args)
        assert result.code == 2, (args, result.out, result.err)
        assert len(result.err.strip().splitlines()) == 1, (args, result.err)
        assert "Traceback" not in result.err
    assert table_counts(database_url) == before
    assert count(database_url, "todo", "maintenance_tasks", "maintenance:ping") == 5
