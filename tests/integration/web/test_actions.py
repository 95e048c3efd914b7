"""Actions through the dashboard call the same services as the CLI, audited; bad input
is a 400 that leaves the database as it was."""

from __future__ import annotations

import asyncio

import httpx

from personal_assistant.db.session import session_scope
from personal_assistant.jobs.enqueue import defer
from personal_assistant.jobs.lookup import resolve_task
from tests.integration.web.conftest import SAME_ORIGIN, csrf_of, execute
from tests.support.db import job_status, query, scalar, table_counts


async def _ping(message: str) -> int:
    async with session_scope() as session:
        return await defer(session, resolve_task("ping"), {"message": message})


async def _token(client: httpx.AsyncClient) -> str:
    return csrf_of((await client.get("/jobs")).text)


async def test_bulk_cancel_by_filter_confirms_the_count_then_runs(
    client: httpx.AsyncClient, database_url: str
) -> None:
    doomed = [await _ping("doomed") for _ in range(7)]
    kept = [await _ping("kept") for _ in range(3)]
    token = await _token(client)
    form = {"csrf_token": token, "action": "cancel", "scope": "filter", "arg": "message:doomed"}
    confirm = await client.post("/jobs/bulk", data=form, headers=SAME_ORIGIN)
    assert confirm.status_code == 200
    assert "Confirm: cancel 7 job(s)?" in confirm.text
    assert {job_status(database_url, j) for j in doomed} == {"todo"}  # asking changed nothing
    done = await client.post("/jobs/bulk", data={**form, "confirm": "yes"}, headers=SAME_ORIGIN)
    assert done.status_code == 303
    for _ in range(100):
        if {job_status(database_url, j) for j in doomed} == {"cancelled"}:
            break
        await asyncio.sleep(0.05)
    assert {job_status(database_url, j) for j in doomed} == {"cancelled"}
    assert {job_status(database_url, j) for j in kept} == {"todo"}
    for _ in range(100):
        if scalar(database_url, "SELECT count FROM web_audit") == 7:
            break
        await asyncio.sleep(0.05)
    [(action, count)] = query(database_url, "SELECT action, count FROM web_audit")
    assert (action, count) == ("jobs.bulk_cancel", 7)


async def test_bulk_on_selected_jobs_skips_those_that_no_longer_qualify(
    client: httpx.AsyncClient, database_url: str
) -> None:
    a, b = await _ping("a"), await _ping("b")
    execute(database_url, "UPDATE procrastinate_jobs SET status = 'succeeded' WHERE id = %s", b)
    form = {
        "csrf_token": await _token(client),
        "action": "cancel",
        "scope": "selected",
        "ids": [str(a), str(b)],
        "confirm": "yes",
    }
    assert (await client.post("/jobs/bulk", data=form, headers=SAME_ORIGIN)).status_code == 303
    assert job_status(database_url, a) == "cancelled"
    assert job_status(database_url, b) == "succeeded"
    assert scalar(database_url, "SELECT count FROM web_audit") == 1


async def test_delete_applies_to_finished_jobs_only(
    client: httpx.AsyncClient, database_url: str
) -> None:
    waiting, finished = await _ping("w"), await _ping("f")
    execute(
        database_url, "UPDATE procrastinate_jobs SET status = 'succeeded' WHERE id = %s", finished
    )
    token = await _token(client)
    before = table_counts(database_url)
    refused = await client.post(
        f"/jobs/{waiting}/delete", data={"csrf_token": token}, headers=SAME_ORIGIN
    )
    assert refused.status_code == 400
    assert "only finished jobs" in refused.text
    assert table_counts(database_url) == before
    ok = await client.post(
        f"/jobs/{finished}/delete", data={"csrf_token": token}, headers=SAME_ORIGIN
    )
    assert ok.status_code == 303
    assert job_status(database_url, finished) is None
    assert job_status(database_url, waiting) == "todo"


async def test_bad_input_is_one_line_and_changes_nothing(
    client: httpx.AsyncClient, database_url: str
) -> None:
    await _ping("x")
    token = await _token(client)
    before = table_counts(database_url)
    for path in (
        "/jobs?status=lost",
        "/jobs?arg=nocolon",
        "/jobs?since=yesterdayish",
        "/jobs?before=abc",
    ):
        response = await client.get(path)
        assert response.status_code == 400, path
        assert 'class="error"' in response.text
    posts = [
        ("/jobs/bulk", {"action": "explode", "scope": "filter", "status": "todo"}),
        ("/jobs/bulk", {"action": "cancel", "scope": "filter"}),  # no filter: refused
        ("/jobs/1/explode", {}),
        ("/schedules/nope/pause", {}),
        ("/ai", {"title": "t", "instructions": "i", "schedule": "every blue moon"}),
        ("/ai", {"title": "", "instructions": "i", "schedule": "daily at 9"}),
        ("/email/12345/retry", {}),
        ("/breakers/nope/reset", {}),
    ]
    for path, data in posts:
        response = await client.post(path, data={**data, "csrf_token": token}, headers=SAME_ORIGIN)
        assert response.status_code == 400, (path, response.text[:300])
        assert "Traceback" not in response.text
    assert table_counts(database_url) == before


async def test_ai_task_created_and_paused_from_the_dashboard(
    client: httpx.AsyncClient, database_url: str
) -> None:
    token = await _token(client)
    form = {
        "csrf_token": token,
        "title": "Standup",
        "instructions": "Summarise my day",
        "schedule": "every weekday at 8:30",
        "tz": "Europe/Paris",
        "channel": "log",
    }
    created = await client.post("/ai", data=form, headers=SAME_ORIGIN)
    assert created.status_code == 303
    [(task_id, status, job_id)] = query(
        database_url, "SELECT id, status, pending_job_id FROM ai_tasks"
    )
    assert status == "active" and job_status(database_url, job_id) == "todo"
    paused = await client.post(
        f"/ai/{task_id}/pause", data={"csrf_token": token}, headers=SAME_ORIGIN
    )
    assert paused.status_code == 303
    assert scalar(database_url, "SELECT status FROM ai_tasks") == "paused"
    assert job_status(database_url, job_id) == "cancelled"
    audit = query(database_url, "SELECT action, target FROM web_audit ORDER BY id")
    assert audit == [("ai.create", "Standup"), ("ai.pause", f"AI task {task_id}")]


async def test_schedule_edit_run_now_and_delete(
    client: httpx.AsyncClient, database_url: str
) -> None:
    from personal_assistant.schedules import service

    async with session_scope() as session:
        await service.add_schedule(
            session,
            name="standup",
            task_name="ping",
            schedule_text="every day at 9am",
            args={"message": "s"},
        )
    token = await _token(client)
    page = await client.get("/schedules")
    assert "standup" in page.text
    edited = await client.post(
        "/schedules/standup/edit",
        data={"csrf_token": token, "schedule": "every weekday at 8:30"},
        headers=SAME_ORIGIN,
    )
    assert edited.status_code == 303
    assert scalar(database_url, "SELECT schedule_text FROM schedules") == "every weekday at 8:30"
    ran = await client.post(
        "/schedules/standup/run", data={"csrf_token": token}, headers=SAME_ORIGIN
    )
    assert ran.status_code == 303
    assert (
        scalar(database_url, "SELECT count(*) FROM procrastinate_jobs WHERE args->>'message' = 's'")
        == 1
    )
    gone = await client.post(
        "/schedules/standup/delete", data={"csrf_token": token}, headers=SAME_ORIGIN
    )
    assert gone.status_code == 303
    assert scalar(database_url, "SELECT count(*) FROM schedules") == 0


async def test_queue_pause_scale_resume_through_flow_control(
    client: httpx.AsyncClient, database_url: str
) -> None:
    token = await _token(client)
    for path, data in [
        ("/queues/email_tasks/pause", {"reason": "maintenance window"}),
        ("/queues/email_tasks/scale", {"concurrency": "7"}),
    ]:
        response = await client.post(path, data={**data, "csrf_token": token}, headers=SAME_ORIGIN)
        assert response.status_code == 303, response.text[:300]
    row = query(
        database_url,
        "SELECT paused, pause_reason, paused_by, concurrency FROM queue_controls"
        " WHERE queue = 'email_tasks'",
    )
    assert row == [(True, "maintenance window", "local", 7)]
    page = (await client.get("/queues")).text
    assert "paused" in page
    before = table_counts(database_url)
    for path, data in [
        ("/queues/nope/pause", {}),
        ("/queues/email_tasks/scale", {"concurrency": "many"}),
        ("/queues/email_tasks/scale", {"concurrency": "0"}),
        ("/queues/email_tasks/explode", {}),
    ]:
        response = await client.post(path, data={**data, "csrf_token": token}, headers=SAME_ORIGIN)
        assert response.status_code == 400, path
    assert table_counts(database_url) == before
    resumed = await client.post(
        "/queues/email_tasks/resume", data={"csrf_token": token}, headers=SAME_ORIGIN
    )
    assert resumed.status_code == 303
    assert (
        scalar(database_url, "SELECT paused FROM queue_controls WHERE queue = 'email_tasks'")
        is False
    )
