"""What an AI task, and the model behind it, may do is bounded: how often a task runs,
how many tasks a user has and a run creates, who gets its email, how many tools it calls."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from personal_assistant.ai import lifecycle
from personal_assistant.ai.execute import execute_run
from personal_assistant.db.session import dispose_engine, session_scope
from personal_assistant.errors import BadInput
from personal_assistant.jobs.retry import PermanentError
from tests.support.db import query, scalar
from tests.support.loopback import ChatServer, text_reply, tool_reply
from tests.support.refusal import assert_refused_in_process
from tests.support.reset import reset_process_caches

INSTRUCTIONS = "Plan my week"


@pytest.fixture
def llm(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[ChatServer]:
    with ChatServer() as server:
        monkeypatch.setenv("PA_LLM_BASE_URL", server.base_url)
        monkeypatch.setenv("PA_LLM_TIMEOUT_SECONDS", "5")
        monkeypatch.setenv("PA_NOTIFY_USER_EMAILS", '{"ada": "ada@example.com"}')
        reset_process_caches()
        yield server


async def _task(**fields: Any) -> tuple[int, datetime, int]:
    async with session_scope() as session:
        task = await lifecycle.create_task(
            session,
            user_id=fields.pop("user_id", "ada"),
            title="Planner",
            instructions=INSTRUCTIONS,
            schedule=fields.pop("schedule", "every day at 9"),
            **fields,
        )
        assert task.next_run_at is not None and task.pending_job_id is not None
        return task.id, task.next_run_at, task.pending_job_id


async def _run(llm: ChatServer, *replies: Any) -> tuple[int, dict[str, Any], list[Any]]:
    task_id, at, job_id = await _task()
    llm.script(INSTRUCTIONS, *replies)
    result = await execute_run(task_id, at, job_id, will_retry=lambda exc: False)
    await dispose_engine()
    [calls] = query_one("SELECT tool_calls FROM ai_task_runs WHERE task_id = %s", task_id)
    return task_id, result, calls


_URL: list[str] = []


def query_one(sql: str, *params: Any) -> tuple[Any, ...]:
    [row] = query(_URL[0], sql, *params)
    return row


@pytest.fixture(autouse=True)
def _remember_url(database_url: str) -> Iterator[None]:
    _URL[:] = [database_url]
    yield


def _create(title: str, schedule: str) -> tuple[str, dict[str, Any]]:
    return ("create_ai_task", {"title": title, "instructions": "x", "schedule": schedule})


@pytest.mark.parametrize(
    "schedule", ["every 1 second", "every 30 seconds", "*/5 * * * * *", "every 59 seconds"]
)
def test_cli_refuses_schedules_more_frequent_than_a_minute(
    database_url: str, capsys: pytest.CaptureFixture[str], schedule: str
) -> None:
    argv = ["ai", "create", "--title", "t", "--instructions", "i", "--schedule", schedule]
    assert_refused_in_process(database_url, argv, "PA_AI_MIN_INTERVAL_SECONDS", capsys)


async def test_the_minimum_interval_holds_for_updates_and_can_be_lowered(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    task_id, _, _ = await _task(schedule="every minute")
    with pytest.raises(BadInput, match="at most once every 60 s"):
        async with session_scope() as session:
            await lifecycle.update_task(session, task_id, schedule="every 10 seconds")
    monkeypatch.setenv("PA_AI_MIN_INTERVAL_SECONDS", "5")
    reset_process_caches()
    async with session_scope() as session:
        await lifecycle.update_task(session, task_id, schedule="every 10 seconds")
    await dispose_engine()


async def test_the_active_task_cap_per_user(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PA_AI_MAX_ACTIVE_TASKS_PER_USER", "2")
    reset_process_caches()
    first, _, _ = await _task()
    await _task()
    with pytest.raises(BadInput, match="PA_AI_MAX_ACTIVE_TASKS_PER_USER"):
        await _task()
    await _task(user_id="bob")  # another user's own allowance
    async with session_scope() as session:
        await lifecycle.pause_task(session, first)
    with pytest.raises(BadInput, match="already has 2 active"):
        await _task()  # a paused task still counts: resuming it must stay possible
    await dispose_engine()
    assert scalar(database_url, "SELECT count(*) FROM ai_tasks WHERE user_id = 'ada'") == 2


async def test_concurrent_creations_cannot_pass_the_cap_together(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PA_AI_MAX_ACTIVE_TASKS_PER_USER", "2")
    reset_process_caches()
    await _task()
    async with session_scope() as session:
        # The second task, not yet committed: a third creation must wait for this
        # transaction, then count both, rather than count one and pass.
        await lifecycle.create_task(
            session, user_id="ada", title="Planner", instructions=INSTRUCTIONS,
            schedule="every day at 9",
        )  # fmt: skip
        third = asyncio.create_task(_task())
        await asyncio.sleep(0.5)
        assert not third.done()
    with pytest.raises(BadInput, match="already has 2 active"):
        await third
    await dispose_engine()
    assert scalar(database_url, "SELECT count(*) FROM ai_tasks WHERE user_id = 'ada'") == 2


async def test_the_model_cannot_create_a_frequent_task(llm: ChatServer) -> None:
    _task_id, result, calls = await _run(
        llm, tool_reply(_create("Spam", "every 1 second")), text_reply("done")
    )
    assert result["status"] == "succeeded"
    assert "PA_AI_MIN_INTERVAL_SECONDS" in calls[0]["result"]["error"]
    assert scalar(_URL[0], "SELECT count(*) FROM ai_tasks") == 1


async def test_a_run_creates_at_most_a_few_tasks(llm: ChatServer) -> None:
    creations = [_create(f"Copy {n}", "every day at 10") for n in range(5)]
    _task_id, result, calls = await _run(llm, tool_reply(*creations), text_reply("done"))
    assert result["status"] == "succeeded"
    assert ["error" in c["result"] for c in calls] == [False] * 3 + [True] * 2
    assert "PA_AI_MAX_TASKS_PER_RUN" in calls[3]["result"]["error"]
    assert scalar(_URL[0], "SELECT count(*) FROM ai_tasks") == 4


async def test_the_model_emails_only_the_owner_unless_others_are_listed(
    llm: ChatServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    email = ("queue_email", {"subject": "Hi", "text": "Body", "to": ["mallory@evil.example"]})
    own = ("queue_email", {"subject": "Hi", "text": "Body", "to": ["ADA@example.com"]})
    default = ("queue_email", {"subject": "Hi", "text": "Body"})
    _, result, calls = await _run(llm, tool_reply(email, own, default), text_reply("done"))
    assert result["status"] == "succeeded"
    assert "mallory@evil.example" in calls[0]["result"]["error"]
    assert "PA_AI_EMAIL_RECIPIENTS" in calls[0]["result"]["error"]
    assert "email_id" in calls[1]["result"] and "email_id" in calls[2]["result"]
    rows = query(_URL[0], "SELECT recipients FROM email_outbox ORDER BY id")
    assert all("mallory" not in str(r) for r in rows) and len(rows) == 2

    monkeypatch.setenv("PA_AI_EMAIL_RECIPIENTS", "mallory@evil.example")
    reset_process_caches()
    _, result, calls = await _run(llm, tool_reply(email), text_reply("done"))
    assert "email_id" in calls[0]["result"]


async def test_a_run_that_calls_too_many_tools_fails_and_leaves_nothing(
    llm: ChatServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PA_AI_MAX_TOOL_CALLS_PER_RUN", "3")
    reset_process_caches()
    task_id, at, job_id = await _task()
    notes = [("send_notification", {"subject": f"n{n}", "body": "b"}) for n in range(5)]
    llm.script(INSTRUCTIONS, tool_reply(*notes), text_reply("done"))
    with pytest.raises(PermanentError, match="PA_AI_MAX_TOOL_CALLS_PER_RUN"):
        await execute_run(task_id, at, job_id, will_retry=lambda exc: False)
    await dispose_engine()
    [(status, error)] = query(
        _URL[0], "SELECT status, error FROM ai_task_runs WHERE task_id = %s", task_id
    )
    assert status == "failed" and "more than 3 tool calls" in error
    subjects = query(_URL[0], "SELECT subject FROM notifications ORDER BY id")
    assert not any(s[0].startswith("n") and s[0][1:].isdigit() for s in subjects)
