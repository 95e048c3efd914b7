"""AI tasks run on real worker processes, on time, once, with their next run deferred."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from personal_assistant.ai.deferral import RUN_TASK, iso
from personal_assistant.db.session import dispose_engine, session_scope
from personal_assistant.jobs.enqueue import JobOptions, defer
from personal_assistant.jobs.lookup import resolve_task
from tests.acceptance.ai.helpers import create_task, run_now
from tests.support.db import job_events, query, scalar
from tests.support.loopback import ChatServer, text_reply
from tests.support.processes import run_cli, running_worker, wait_for

QUEUES = ("--queues", "ai_tasks,email_tasks")

# One snapshot: every succeeded run, and whether the job of a later run exists.
RUNS_WITH_NEXT_JOB = """
SELECT r.scheduled_for,
       EXISTS (SELECT 1 FROM procrastinate_jobs j
                WHERE j.task_name = 'ai:run_ai_task'
                  AND (j.args->>'task_id')::bigint = r.task_id
                  AND (j.args->>'scheduled_for')::timestamptz > r.scheduled_for
                  AND j.scheduled_at = (j.args->>'scheduled_for')::timestamptz
                  AND j.queueing_lock = 'ai_task:' || r.task_id || ':' || (j.args->>'scheduled_for'))
  FROM ai_task_runs r
 WHERE r.task_id = %s AND r.status = 'succeeded'
 ORDER BY r.scheduled_for
"""


def _create(*args: str) -> dict[str, Any]:
    created = run_cli("ai", "create", "--json", *args)
    assert created.code == 0, created.err
    task: dict[str, Any] = created.json()
    return task


def test_recurring_task_runs_on_time_and_defers_its_next_run_atomically(
    database_url: str, llm: ChatServer, tmp_path: Path
) -> None:
    with running_worker(tmp_path, *QUEUES):
        # Created once the worker is up, so its first run can start on time.
        task = _create(
            "--title", "Pulse", "--instructions", "Say hi", "--schedule", "every 3 seconds"
        )

        def two_runs_each_with_its_next_job() -> bool:
            rows = query(database_url, RUNS_WITH_NEXT_JOB, task["id"])
            assert all(has_next for _, has_next in rows), f"a run committed alone: {rows}"
            return len(rows) >= 2

        wait_for(two_runs_each_with_its_next_job, 30, "two runs", every=0.05)
        wait_for(
            lambda: (
                scalar(
                    database_url, "SELECT count(*) FROM notifications WHERE status = 'delivered'"
                )
                >= 2
            ),
            30,
            "notifications delivered",
        )

    first = datetime.fromisoformat(task["next_run_at"])
    runs = query(
        database_url,
        "SELECT scheduled_for, started_at, output FROM ai_task_runs"
        " WHERE task_id = %s ORDER BY scheduled_for",
        task["id"],
    )
    assert runs[0][0] == first
    for scheduled_for, started_at, output in runs:
        assert timedelta(0) <= started_at - scheduled_for < timedelta(seconds=2), "started late"
        assert output == "done"
    assert llm.requests_for("Say hi")[0]["model"] == "test-model"


def test_duplicate_jobs_on_two_workers_make_one_run(
    database_url: str, llm: ChatServer, tmp_path: Path
) -> None:
    # Slow enough for the workers to overlap, within PA_LLM_TIMEOUT_SECONDS=1.
    llm.script("Once only", text_reply("ran once", delay=0.6))
    at = (datetime.now(UTC) + timedelta(seconds=8)).replace(microsecond=0)
    task = create_task("Once only", iso(at))
    duplicates = asyncio.run(_defer_duplicates(task["id"], at, 3))

    with running_worker(tmp_path, *QUEUES, name="a"), running_worker(tmp_path, *QUEUES, name="b"):
        jobs = [task["pending_job_id"], *duplicates]
        wait_for(
            lambda: all(
                scalar(database_url, "SELECT status::text FROM procrastinate_jobs WHERE id = %s", j)
                == "succeeded"
                for j in jobs
            ),
            40,
            "every job of the run to finish",
        )
        wait_for(
            lambda: scalar(database_url, "SELECT status FROM notifications") == "delivered",
            30,
            "the notification",
        )

    assert scalar(database_url, "SELECT count(*) FROM ai_task_runs") == 1
    assert scalar(database_url, "SELECT status FROM ai_task_runs") == "succeeded"
    assert len(llm.requests_for("Once only")) == 1
    assert scalar(database_url, "SELECT count(*) FROM notifications") == 1
    assert scalar(database_url, "SELECT status FROM ai_tasks") == "completed"
    results = query(
        database_url, "SELECT result FROM job_results WHERE task_name = 'ai:run_ai_task'"
    )
    statuses = sorted(result["status"] for (result,) in results)
    assert statuses == ["skipped", "skipped", "skipped", "succeeded"]


async def _defer_duplicates(task_id: int, at: datetime, count: int) -> list[int]:
    """Jobs for a run that already has one, deferred without its queueing lock."""
    task = resolve_task(RUN_TASK)
    async with session_scope() as session:
        ids = [
            await defer(
                session,
                task,
                {"task_id": task_id, "scheduled_for": iso(at)},
                JobOptions(schedule_at=at),
            )
            for _ in range(count)
        ]
    await dispose_engine()
    return ids


def test_llm_errors_retry_or_fail_on_a_worker(
    database_url: str, llm: ChatServer, tmp_path: Path
) -> None:
    from tests.support.loopback import error_reply

    llm.script("flaky", error_reply(500))
    llm.script("slow", text_reply("too late", delay=2.5))  # PA_LLM_TIMEOUT_SECONDS=1
    llm.script("refused", error_reply(400, "unknown model"))
    jobs = {
        name: run_now(create_task(name, "every day at 9")["id"])
        for name in ("flaky", "slow", "refused")
    }

    def finished(job_id: int) -> bool:
        status = scalar(
            database_url, "SELECT status::text FROM procrastinate_jobs WHERE id = %s", job_id
        )
        return status in ("succeeded", "failed")

    with running_worker(tmp_path, *QUEUES):
        wait_for(lambda: all(finished(j) for j in jobs.values()), 45, "the three runs")

    def job(name: str) -> tuple[str, int]:
        [row] = query(
            database_url,
            "SELECT status::text, attempts FROM procrastinate_jobs WHERE id = %s",
            jobs[name],
        )
        return row

    for name in ("flaky", "slow"):
        assert job(name)[0] == "succeeded", name
        assert "deferred_for_retry" in job_events(database_url, jobs[name]), name
        assert len(llm.requests_for(name)) == 2, name
    assert job("refused") == ("failed", 1)
    assert "deferred_for_retry" not in job_events(database_url, jobs["refused"])
    assert len(llm.requests_for("refused")) == 1
    runs = dict(
        query(
            database_url,
            "SELECT t.title, r.status FROM ai_task_runs r JOIN ai_tasks t ON t.id = r.task_id",
        )
    )
    assert runs == {"flaky": "succeeded", "slow": "succeeded", "refused": "failed"}
