"""Stored schedules: exactly-once firing without a leader, misfires, runtime edits."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import pytest

from personal_assistant.db.session import dispose_engine, session_scope
from personal_assistant.jobs.enqueue import JobOptions, defer
from personal_assistant.schedules import service
from personal_assistant.schedules.dispatcher import dispatch_due
from personal_assistant.schedules.tasks import dispatch_schedules
from tests.support.db import query, scalar
from tests.support.processes import WorkerProcess, run_cli, running_worker, wait_for

LOOKAHEAD = timedelta(seconds=60)
GRACE = timedelta(hours=24)


def fires(url: str) -> list[tuple[datetime, int | None]]:
    return [
        (r[0], r[1])
        for r in query(url, "SELECT fire_at, job_id FROM schedule_fires ORDER BY fire_at")
    ]


async def test_three_workers_dispatching_fire_each_time_exactly_once(
    database_url: str, tmp_path: Path
) -> None:
    assert run_cli("schedule", "add", "often", "ping", "every 2 seconds").code == 0
    now = datetime.now(UTC)
    async with session_scope() as session:
        for i in range(24):  # dispatches racing each other, spread over ~6 s
            await defer(
                session,
                dispatch_schedules,
                {"timestamp": i},
                JobOptions(schedule_at=now + timedelta(seconds=i // 4)),
            )
    await dispose_engine()
    workers = [
        WorkerProcess(
            ["--queues", "maintenance_tasks", "--concurrency", "4", "--name", f"d{i}"],
            tmp_path / f"d{i}.log",
        )
        for i in range(3)
    ]
    try:
        wait_for(
            lambda: (
                scalar(
                    database_url,
                    "SELECT count(*) FROM procrastinate_jobs"
                    " WHERE task_name = 'schedules:dispatch_schedules' AND status = 'succeeded'"
                    " AND (args->>'timestamp')::int < 100",
                )
                == 24
            ),
            60,
            "all dispatches",
        )
    finally:
        for worker in workers:
            worker.terminate()
    fired = fires(database_url)
    times = [at for at, _ in fired]
    assert len(times) == len(set(times)) >= 30
    steps = {(b - a).total_seconds() for a, b in pairwise(times)}
    assert steps == {2.0}, "every time in the window fired, none twice"
    jobs = query(
        database_url,
        "SELECT id, scheduled_at FROM procrastinate_jobs WHERE task_name = 'maintenance:ping'",
    )
    assert sorted(j[1] for j in jobs) == times
    assert {j[0] for j in jobs} == {job_id for _, job_id in fired}
    racing = [w for w in workers if "schedules:dispatch_schedules" in w.log()]
    assert len(racing) >= 2, "the dispatches ran on several workers at once"


@pytest.mark.parametrize(
    ("policy", "expected_jobs"), [("run_once", 1), ("skip", 0)], ids=["run_once", "skip"]
)
async def test_missed_runs_follow_the_misfire_policy(
    database_url: str, policy: str, expected_jobs: int
) -> None:
    start = datetime(2026, 11, 23, 10, 0, 30, tzinfo=UTC)
    async with session_scope() as session:
        row = await service.add_schedule(
            session,
            name="minutely",
            task_name="ping",
            schedule_text="every minute",
            misfire_policy=policy,
            now=start,
        )
        assert row.next_run_at == datetime(2026, 11, 23, 10, 1, tzinfo=UTC)
    # Every worker was down from 10:00:30 to 10:05:30: five due times passed.
    restarted = start + timedelta(minutes=5)
    async with session_scope() as session:
        report = await dispatch_due(
            session, lookahead=timedelta(seconds=10), misfire_grace=GRACE, now=restarted
        )
    await dispose_engine()
    assert report.caught_up == expected_jobs
    assert report.skipped == 5 - expected_jobs
    jobs = query(
        database_url,
        "SELECT scheduled_at FROM procrastinate_jobs WHERE task_name = 'maintenance:ping'",
    )
    assert [j[0] for j in jobs] == [restarted] * expected_jobs
    next_run = scalar(database_url, "SELECT next_run_at FROM schedules WHERE name = 'minutely'")
    assert next_run == datetime(2026, 11, 23, 10, 6, tzinfo=UTC)


async def test_catch_up_is_skipped_beyond_the_grace(database_url: str) -> None:
    start = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    async with session_scope() as session:
        await service.add_schedule(
            session, name="daily", task_name="ping", schedule_text="every day at 9am", now=start
        )
    async with session_scope() as session:
        report = await dispatch_due(
            session,
            lookahead=LOOKAHEAD,
            misfire_grace=timedelta(hours=1),
            now=datetime(2026, 11, 23, 12, 0, tzinfo=UTC),
        )
    await dispose_engine()
    assert (report.caught_up, report.skipped) == (0, 3)


def test_editing_a_schedule_takes_effect_without_restart(database_url: str, tmp_path: Path) -> None:
    assert (
        run_cli(
            "schedule", "add", "editable", "ping", "every 2 seconds", "--args", '{"message": "v1"}'
        ).code
        == 0
    )
    with running_worker(tmp_path, "--queues", "maintenance_tasks"):
        assert (
            run_cli("defer", "schedules:dispatch_schedules", "--args", '{"timestamp": 1}').code == 0
        )
        wait_for(
            lambda: scalar(database_url, "SELECT count(*) FROM ping_records WHERE message='v1'"),
            30,
            "a v1 run",
        )
        edited = run_cli("schedule", "edit", "editable", "--args", json.dumps({"message": "v2"}))
        assert edited.code == 0, edited.err
        edited_at = datetime.now(UTC)
        assert (
            run_cli("defer", "schedules:dispatch_schedules", "--args", '{"timestamp": 2}').code == 0
        )
        wait_for(
            lambda: scalar(database_url, "SELECT count(*) FROM ping_records WHERE message='v2'"),
            30,
            "a v2 run",
        )
    late_v1 = scalar(
        database_url,
        "SELECT count(*) FROM ping_records WHERE message = 'v1' AND recorded_at > %s",
        edited_at + timedelta(seconds=0.5),
    )
    assert late_v1 == 0
    cancelled = scalar(
        database_url,
        "SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'maintenance:ping'"
        " AND status = 'cancelled' AND args->>'message' = 'v1'",
    )
    assert cancelled > 0, "runs planned with the old arguments were cancelled"


def test_pause_cancels_pending_runs_and_resume_replans(database_url: str) -> None:
    assert run_cli("schedule", "add", "p", "ping", "every 2 seconds").code == 0
    asyncio.run(_dispatch_now())
    pending = "SELECT count(*) FROM procrastinate_jobs WHERE status = 'todo'"
    assert scalar(database_url, pending) > 0
    assert run_cli("schedule", "pause", "p").code == 0
    assert scalar(database_url, pending) == 0
    assert scalar(database_url, "SELECT next_run_at FROM schedules") is None
    assert run_cli("schedule", "resume", "p").code == 0
    assert scalar(database_url, "SELECT next_run_at FROM schedules") > datetime.now(
        UTC
    ) - timedelta(seconds=1)
    assert run_cli("schedule", "delete", "p").code == 0
    assert scalar(database_url, "SELECT count(*) FROM schedules") == 0


async def _dispatch_now() -> None:
    async with session_scope() as session:
        await dispatch_due(session, lookahead=LOOKAHEAD, misfire_grace=GRACE)
    await dispose_engine()
