"""An AI task's row and the job of its next run change together, in one transaction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from personal_assistant.ai import lifecycle
from personal_assistant.ai.deferral import RUN_NOW_PRIORITY, iso
from personal_assistant.db.session import dispose_engine, session_scope
from personal_assistant.errors import BadInput, NotFound
from tests.support.db import query, scalar

NOW = datetime(2030, 1, 7, 12, 0, tzinfo=UTC)  # a Monday


class Boom(Exception):
    pass


async def _create(**overrides: Any) -> int:
    fields: dict[str, Any] = {
        "user_id": "ada",
        "title": "Standup notes",
        "instructions": "Summarise my calendar",
        "schedule": "every weekday at 8:30",
        "timezone": "Europe/Paris",
        "now": NOW,
        **overrides,
    }
    async with session_scope() as session:
        task = await lifecycle.create_task(session, **fields)
        return task.id


def _jobs(url: str, task_id: int) -> list[tuple[Any, ...]]:
    return query(
        url,
        "SELECT id, status::text, scheduled_at, args->>'scheduled_for', queueing_lock, priority"
        " FROM procrastinate_jobs WHERE (args->>'task_id')::bigint = %s ORDER BY id",
        task_id,
    )


def _task(url: str, task_id: int) -> tuple[Any, ...]:
    [row] = query(
        url, "SELECT status, next_run_at, pending_job_id FROM ai_tasks WHERE id = %s", task_id
    )
    return row


async def test_rollback_after_create_leaves_no_task_and_no_job(database_url: str) -> None:
    with pytest.raises(Boom):
        async with session_scope() as session:
            await lifecycle.create_task(
                session,
                user_id="ada",
                title="t",
                instructions="i",
                schedule="every day at 9",
                now=NOW,
            )
            raise Boom
    await dispose_engine()
    assert scalar(database_url, "SELECT count(*) FROM ai_tasks") == 0
    assert scalar(database_url, "SELECT count(*) FROM procrastinate_jobs") == 0


async def test_create_defers_the_first_run_at_its_time(database_url: str) -> None:
    task_id = await _create()
    await dispose_engine()
    first = datetime(2030, 1, 8, 7, 30, tzinfo=UTC)  # 08:30 Paris, Tuesday
    status, next_run_at, pending = _task(database_url, task_id)
    assert (status, next_run_at) == ("active", first)
    [(job_id, job_status, scheduled_at, args_at, lock, priority)] = _jobs(database_url, task_id)
    assert job_id == pending
    assert (job_status, scheduled_at, args_at) == ("todo", first, iso(first))
    assert lock == f"ai_task:{task_id}:{iso(first)}"
    assert priority == 0
    [(kind, normalized, zone)] = query(
        database_url, "SELECT schedule_kind, schedule_normalized, timezone FROM ai_tasks"
    )
    assert (kind, normalized, zone) == ("cron", "30 8 * * 1-5", "Europe/Paris")


async def test_pause_cancels_the_pending_job_and_resume_defers_a_new_one(
    database_url: str,
) -> None:
    task_id = await _create()
    [(first_job, *_)] = _jobs(database_url, task_id)
    async with session_scope() as session:
        await lifecycle.pause_task(session, task_id, now=NOW)
    assert _task(database_url, task_id) == ("paused", None, None)
    assert _jobs(database_url, task_id)[0][1] == "cancelled"

    later = NOW + timedelta(days=3)  # Thursday noon
    async with session_scope() as session:
        await lifecycle.resume_task(session, task_id, now=later)
    await dispose_engine()
    friday = datetime(2030, 1, 11, 7, 30, tzinfo=UTC)
    status, next_run_at, pending = _task(database_url, task_id)
    assert (status, next_run_at) == ("active", friday)
    jobs = _jobs(database_url, task_id)
    assert [j[1] for j in jobs] == ["cancelled", "todo"]
    assert jobs[1][0] == pending != first_job
    assert jobs[1][2] == friday


async def test_cancel_and_delete_cancel_the_pending_job(database_url: str) -> None:
    kept = await _create()
    gone = await _create(title="Other")
    async with session_scope() as session:
        await lifecycle.cancel_task(session, kept)
    async with session_scope() as session:
        await lifecycle.delete_task(session, gone)
    with pytest.raises(BadInput, match="only active or paused or failed"):
        async with session_scope() as session:
            await lifecycle.cancel_task(session, kept)
    with pytest.raises(NotFound, match="no AI task with id"):
        async with session_scope() as session:
            await lifecycle.pause_task(session, gone)
    await dispose_engine()
    assert _task(database_url, kept) == ("cancelled", None, None)
    assert [j[1] for j in _jobs(database_url, kept)] == ["cancelled"]
    assert scalar(database_url, "SELECT count(*) FROM ai_tasks WHERE id = %s", gone) == 0
    assert [j[1] for j in _jobs(database_url, gone)] == ["cancelled"]


async def test_update_schedule_replaces_the_pending_job(database_url: str) -> None:
    task_id = await _create()
    async with session_scope() as session:
        await lifecycle.update_task(
            session, task_id, schedule="every day at 18:00", title=" Evening ", now=NOW
        )
    await dispose_engine()
    evening = datetime(2030, 1, 7, 17, 0, tzinfo=UTC)
    jobs = _jobs(database_url, task_id)
    assert [(j[1], j[2]) for j in jobs][1:] == [("todo", evening)]
    assert jobs[0][1] == "cancelled"
    assert _task(database_url, task_id)[1] == evening
    assert scalar(database_url, "SELECT title FROM ai_tasks") == "Evening"


async def test_run_now_goes_first_and_a_one_time_run_moves_to_now(database_url: str) -> None:
    recurring = await _create()
    once = await _create(schedule="2030-02-01T09:00", title="Once")
    async with session_scope() as session:
        extra = await lifecycle.run_now(session, recurring, now=NOW)
        moved = await lifecycle.run_now(session, once, now=NOW)
    await dispose_engine()

    recurring_jobs = _jobs(database_url, recurring)
    assert [j[1] for j in recurring_jobs] == ["todo", "todo"]
    assert recurring_jobs[1][0] == extra
    assert recurring_jobs[1][5] == RUN_NOW_PRIORITY > recurring_jobs[0][5]
    assert _task(database_url, recurring)[2] == recurring_jobs[0][0], "schedule unchanged"

    once_jobs = _jobs(database_url, once)
    assert [j[1] for j in once_jobs] == ["cancelled", "todo"]
    assert _task(database_url, once) == ("active", NOW, moved)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"title": "  "}, "the title must not be empty"),
        ({"instructions": ""}, "the instructions must not be empty"),
        ({"timezone": "Mars/Base"}, "unknown timezone 'Mars/Base'"),
        ({"schedule": "whenever you like"}, "could not understand 'whenever you like'"),
        ({"schedule": "2020-01-01T09:00"}, "has no run after now"),
        ({"channel": "pigeon"}, "unknown notification channel 'pigeon'"),
        ({"max_runs": 0}, "max runs must be at least 1"),
    ],
)
async def test_bad_input_writes_nothing(
    database_url: str, overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises(BadInput, match=message):
        await _create(**overrides)
    await dispose_engine()
    assert scalar(database_url, "SELECT count(*) FROM ai_tasks") == 0
    assert scalar(database_url, "SELECT count(*) FROM procrastinate_jobs") == 0
