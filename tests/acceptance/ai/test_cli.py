"""``pa-tasks ai``: the lifecycle from the command line, and bad input."""

from __future__ import annotations

import pytest

from tests.support.db import query, scalar
from tests.support.processes import run_cli
from tests.support.refusal import assert_refused

BAD_INPUT = {
    "empty title": (
        ["ai", "create", "--title", " ", "--instructions", "i", "--schedule", "daily"],
        "the title must not be empty",
    ),
    "unknown timezone": (
        ["ai", "create", "--title", "t", "--instructions", "i", "--schedule", "daily",
         "--tz", "Mars/Olympus"],
        "unknown timezone 'Mars/Olympus'",
    ),
    "unparseable schedule": (
        ["ai", "create", "--title", "t", "--instructions", "i", "--schedule", "when pigs fly"],
        "could not understand 'when pigs fly'",
    ),
    "unknown channel": (
        ["ai", "create", "--title", "t", "--instructions", "i", "--schedule", "daily",
         "--channel", "pigeon"],
        "unknown notification channel 'pigeon'",
    ),
    "unknown id (show)": (["ai", "show", "424242"], "no AI task with id 424242"),
    "unknown id (run-now)": (["ai", "run-now", "424242"], "no AI task with id 424242"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(BAD_INPUT))
def test_bad_input_is_one_line_exit_2_nothing_written(database_url: str, case: str) -> None:
    args, expected = BAD_INPUT[case]
    assert_refused(database_url, args, expected)


def _pending(url: str, task_id: int) -> tuple[str | None, str | None]:
    """The task's pending job and its status."""
    [(job_id, status)] = query(
        url,
        "SELECT t.pending_job_id, j.status::text FROM ai_tasks t"
        " LEFT JOIN procrastinate_jobs j ON j.id = t.pending_job_id WHERE t.id = %s",
        task_id,
    )
    return job_id, status


def test_create_show_pause_resume_cancel_delete(database_url: str) -> None:
    created = run_cli(
        "ai", "create", "--title", "Standup", "--instructions", "Summarise my day",
        "--schedule", "every weekday at 8:30", "--tz", "Europe/Paris", "--user", "ada",
        "--channel", "log", "--max-runs", "10",
    )  # fmt: skip
    assert created.code == 0, created.err
    task_id = int(created.out.split()[0])
    assert "next run" in created.out and "Monday to Friday" in created.out
    first_job, status = _pending(database_url, task_id)
    assert status == "todo"

    [listed] = run_cli("ai", "list", "--json").json()
    assert (listed["id"], listed["user"], listed["status"]) == (task_id, "ada", "active")
    assert listed["normalized"] == "30 8 * * 1-5"
    shown = run_cli("ai", "show", str(task_id), "--json").json()
    assert shown["runs"] == [] and shown["max_runs"] == 10

    assert run_cli("ai", "pause", str(task_id)).code == 0
    assert _pending(database_url, task_id) == (None, None)
    assert scalar(
        database_url, "SELECT status::text FROM procrastinate_jobs WHERE id = %s", first_job
    ) == ("cancelled")
    again = run_cli("ai", "pause", str(task_id))
    assert again.code == 2 and "only active tasks can be paused" in again.err

    assert run_cli("ai", "resume", str(task_id)).code == 0
    resumed_job, status = _pending(database_url, task_id)
    assert status == "todo" and resumed_job != first_job

    assert run_cli("ai", "cancel", str(task_id)).code == 0
    assert scalar(database_url, "SELECT status FROM ai_tasks") == "cancelled"
    assert scalar(
        database_url, "SELECT status::text FROM procrastinate_jobs WHERE id = %s", resumed_job
    ) == ("cancelled")

    assert run_cli("ai", "delete", str(task_id)).code == 0
    assert scalar(database_url, "SELECT count(*) FROM ai_tasks") == 0
