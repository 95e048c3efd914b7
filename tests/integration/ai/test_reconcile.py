"""The reconciler heals AI tasks whose next run lost its job."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from personal_assistant.ai import lifecycle
from personal_assistant.ai.deferral import iso
from personal_assistant.ai.reconcile import reconcile_due_tasks
from personal_assistant.db.session import dispose_engine, session_scope
from tests.support.db import query, scalar
from tests.support.reset import reset_process_caches


async def _due_task(database_url: str) -> tuple[int, datetime, int]:
    async with session_scope() as session:
        task = await lifecycle.create_task(
            session, user_id="ada", title="t", instructions="i", schedule="in 30 seconds"
        )
        assert task.next_run_at is not None and task.pending_job_id is not None
        return task.id, task.next_run_at, task.pending_job_id


async def _reconcile() -> dict[str, object]:
    async with session_scope() as session:
        return (await reconcile_due_tasks(session, margin=timedelta(seconds=60))).as_json()


async def test_a_task_whose_job_was_deleted_gets_a_new_one(database_url: str) -> None:
    task_id, at, job_id = await _due_task(database_url)
    # Not yet due and its job alive: nothing to do.
    assert (await _reconcile())["healed"] == 0

    query(database_url, "DELETE FROM procrastinate_jobs WHERE id = %s RETURNING id", job_id)
    report = await _reconcile()
    assert report == {"healed": 1, "failed": 0, "adopted": 0, "task_ids": [task_id]}
    again = await _reconcile()
    await dispose_engine()
    assert again["healed"] == 0

    [(new_job, scheduled_at, args_at, lock, status)] = query(
        database_url,
        "SELECT id, scheduled_at, args->>'scheduled_for', queueing_lock, status::text"
        " FROM procrastinate_jobs",
    )
    assert (scheduled_at, args_at, status) == (at, iso(at), "todo")
    assert lock == f"ai_task:{task_id}:{iso(at)}"
    assert scalar(database_url, "SELECT pending_job_id FROM ai_tasks") == new_job


async def test_a_run_whose_job_died_for_good_fails_and_the_task_moves_on(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PA_AI_MIN_INTERVAL_SECONDS", "1")  # every 20 seconds
    reset_process_caches()
    async with session_scope() as session:
        task = await lifecycle.create_task(
            session, user_id="ada", title="t", instructions="i", schedule="every 20 seconds"
        )
        task_id, at, job_id = task.id, task.next_run_at, task.pending_job_id
    # A worker claimed the run, then its job was failed by the rescue (too many crashes).
    query(
        database_url,
        "INSERT INTO ai_task_runs (task_id, job_id, scheduled_for, status, tool_calls)"
        " VALUES (%s, %s, %s, 'running', '[]') RETURNING id",
        task_id,
        job_id,
        at,
    )
    query(
        database_url,
        "UPDATE procrastinate_jobs SET status = 'failed' WHERE id = %s RETURNING id",
        job_id,
    )
    report = await _reconcile()
    await dispose_engine()
    assert report["failed"] == 1
    [(status, error)] = query(database_url, "SELECT status, error FROM ai_task_runs")
    assert status == "failed"
    assert f"job {job_id} ended (failed)" in error
    [(next_run, pending, failures)] = query(
        database_url, "SELECT next_run_at, pending_job_id, consecutive_failures FROM ai_tasks"
    )
    assert next_run > at and failures == 1
    assert scalar(
        database_url, "SELECT scheduled_at FROM procrastinate_jobs WHERE id = %s", pending
    ) == (next_run)
    assert datetime.now(UTC) - timedelta(seconds=5) < next_run
