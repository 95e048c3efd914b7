"""One run of an AI task against a real chat-completions server on loopback."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from personal_assistant.ai import lifecycle
from personal_assistant.ai.execute import RunTimedOut, execute_run
from personal_assistant.ai.llm import LLMRejected, LLMUnavailable
from personal_assistant.db.session import dispose_engine, session_scope
from personal_assistant.resilience.breaker import CircuitOpen
from tests.support.db import query, scalar
from tests.support.loopback import ChatServer, error_reply, text_reply, tool_reply
from tests.support.reset import reset_process_caches

INSTRUCTIONS = "Check my week and remind me of anything important"


async def _task(schedule: str = "every day at 9", **fields: Any) -> tuple[int, datetime, int]:
    async with session_scope() as session:
        task = await lifecycle.create_task(
            session,
            user_id="ada",
            title="Weekly check",
            instructions=fields.pop("instructions", INSTRUCTIONS),
            schedule=schedule,
            **fields,
        )
        assert task.next_run_at is not None and task.pending_job_id is not None
        return task.id, task.next_run_at, task.pending_job_id


def retry(exc: BaseException) -> bool:
    return True


def no_retry(exc: BaseException) -> bool:
    return False


def _runs(url: str, task_id: int) -> list[tuple[Any, ...]]:
    return query(
        url,
        "SELECT status, output, error, tool_calls, job_id, finished_at IS NOT NULL"
        " FROM ai_task_runs WHERE task_id = %s ORDER BY scheduled_for",
        task_id,
    )


def _notifications(url: str, task_id: int) -> list[tuple[str, str]]:
    return query(
        url,
        "SELECT subject, body FROM notifications WHERE source = %s ORDER BY id",
        f"ai_task:{task_id}",
    )


async def test_tool_calls_act_and_the_run_defers_its_next_run(
    database_url: str, llm: ChatServer
) -> None:
    task_id, first, job_id = await _task()
    llm.script(
        INSTRUCTIONS,
        tool_reply(
            ("send_notification", {"subject": "Heads up", "body": "Dentist on Friday"}),
            (
                "create_ai_task",
                {
                    "title": "Dentist",
                    "instructions": "Call the dentist",
                    "schedule": "tomorrow at 9am",
                },
            ),
        ),
        text_reply("Reminded you of the dentist."),
    )
    result = await execute_run(task_id, first, job_id, will_retry=retry)
    await dispose_engine()

    assert result["status"] == "succeeded"
    [(status, output, error, tool_calls, run_job, finished)] = _runs(database_url, task_id)
    assert (status, output, error, run_job, finished) == (
        "succeeded",
        "Reminded you of the dentist.",
        None,
        job_id,
        True,
    )
    assert [c["name"] for c in tool_calls] == ["send_notification", "create_ai_task"]
    assert _notifications(database_url, task_id) == [
        ("Heads up", "Dentist on Friday"),
        ("Weekly check", "Reminded you of the dentist."),
    ]
    [(new_id, title, user, pending)] = query(
        database_url,
        "SELECT id, title, user_id, pending_job_id FROM ai_tasks WHERE id <> %s",
        task_id,
    )
    assert (title, user) == ("Dentist", "ada")
    assert scalar(
        database_url, "SELECT status::text FROM procrastinate_jobs WHERE id = %s", pending
    )
    assert tool_calls[1]["result"]["id"] == new_id

    # The next run's job was deferred with the run's record.
    [(next_run, next_job)] = query(
        database_url, "SELECT next_run_at, pending_job_id FROM ai_tasks WHERE id = %s", task_id
    )
    assert next_run > first
    assert scalar(
        database_url, "SELECT scheduled_at FROM procrastinate_jobs WHERE id = %s", next_job
    ) == (next_run)

    first_request, second_request = llm.requests_for(INSTRUCTIONS)
    assert first_request["_headers"]["Authorization"] == "Bearer sk-test"
    assert {t["function"]["name"] for t in first_request["tools"]} >= {
        "send_notification",
        "queue_email",
        "create_ai_task",
        "list_ai_tasks",
        "current_time",
    }
    tool_messages = [m for m in second_request["messages"] if m["role"] == "tool"]
    assert [m["tool_call_id"] for m in tool_messages] == ["call_0", "call_1"]
    assert "notification_id" in json.loads(tool_messages[0]["content"])


async def test_a_tool_mistake_goes_back_to_the_model(database_url: str, llm: ChatServer) -> None:
    task_id, first, job_id = await _task()
    llm.script(
        INSTRUCTIONS,
        tool_reply(
            ("create_ai_task", {"title": "x", "instructions": "y", "schedule": "whenever"}),
            ("no_such_tool", {}),
        ),
        text_reply("Could not schedule it."),
    )
    await execute_run(task_id, first, job_id, will_retry=retry)
    await dispose_engine()
    tool_messages = [
        json.loads(m["content"])
        for m in llm.requests_for(INSTRUCTIONS)[1]["messages"]
        if m["role"] == "tool"
    ]
    assert "could not understand 'whenever'" in tool_messages[0]["error"]
    assert "unknown tool 'no_such_tool'" in tool_messages[1]["error"]
    assert scalar(database_url, "SELECT count(*) FROM ai_tasks") == 1
    assert _runs(database_url, task_id)[0][0] == "succeeded"


async def test_llm_400_fails_the_run_and_the_task_moves_on(
    database_url: str, llm: ChatServer
) -> None:
    task_id, first, job_id = await _task()
    llm.script(INSTRUCTIONS, error_reply(400, "model not found"))
    with pytest.raises(LLMRejected, match="HTTP 400: model not found"):
        await execute_run(task_id, first, job_id, will_retry=retry)
    await dispose_engine()
    [(status, _, error, _, _, finished)] = _runs(database_url, task_id)
    assert (status, finished) == ("failed", True)
    assert "HTTP 400" in error
    assert len(llm.requests_for(INSTRUCTIONS)) == 1
    assert _notifications(database_url, task_id)[-1][0] == "Weekly check: run failed"
    [(task_status, failures, next_run)] = query(
        database_url, "SELECT status, consecutive_failures, next_run_at FROM ai_tasks"
    )
    assert (task_status, failures) == ("active", 1)
    assert next_run > first


async def test_repeated_failures_fail_the_task_and_tell_the_user(
    database_url: str, llm: ChatServer
) -> None:
    task_id, _, pending = await _task()
    llm.script(INSTRUCTIONS, *(error_reply(400) for _ in range(3)))
    for second in range(3):
        now = datetime(2030, 1, 1, 12, 0, second, tzinfo=UTC)
        async with session_scope() as session:
            job_id = await lifecycle.run_now(session, task_id, now=now)
        with pytest.raises(LLMRejected):
            await execute_run(task_id, now, job_id, will_retry=retry)
    await dispose_engine()
    [(status, failures, next_run, pending_after)] = query(
        database_url,
        "SELECT status, consecutive_failures, next_run_at, pending_job_id FROM ai_tasks",
    )
    assert (status, failures, next_run, pending_after) == ("failed", 3, None, None)
    assert scalar(
        database_url, "SELECT status::text FROM procrastinate_jobs WHERE id = %s", pending
    ) == ("cancelled")
    subjects = [s for s, _ in _notifications(database_url, task_id)]
    assert subjects == [
        "Weekly check: run failed",
        "Weekly check: run failed",
        "Weekly check: stopped after repeated failures",
    ]


async def test_transient_errors_leave_the_run_to_its_retry_and_roll_back_tools(
    database_url: str, llm: ChatServer
) -> None:
    task_id, first, job_id = await _task()
    llm.script(
        INSTRUCTIONS,
        tool_reply(("send_notification", {"subject": "early", "body": "partial work"})),
        error_reply(503),
        text_reply("late answer", delay=2.5),  # past PA_LLM_TIMEOUT_SECONDS=1
        text_reply("finally"),
    )
    with pytest.raises(LLMUnavailable, match="HTTP 503"):
        await execute_run(task_id, first, job_id, will_retry=retry)
    [(status, output, error, _, _, finished)] = _runs(database_url, task_id)
    assert (status, output, finished) == ("rescheduled", None, False)
    assert "HTTP 503" in error
    assert _notifications(database_url, task_id) == [], "the failed attempt's tool write stays"

    with pytest.raises(LLMUnavailable, match="did not answer within 1 s"):
        await execute_run(task_id, first, job_id, will_retry=retry)
    assert _runs(database_url, task_id)[0][0] == "rescheduled"

    result = await execute_run(task_id, first, job_id, will_retry=retry)
    await dispose_engine()
    assert result["status"] == "succeeded"
    [(status, output, error, _, _, _)] = _runs(database_url, task_id)
    assert (status, output, error) == ("succeeded", "finally", None)
    assert _notifications(database_url, task_id) == [("Weekly check", "finally")]


async def test_open_llm_breaker_reschedules_without_calling(
    database_url: str, llm: ChatServer
) -> None:
    task_id, first, job_id = await _task()
    query(
        database_url,
        "INSERT INTO circuit_breakers (name, state, failures, opened_at)"
        " VALUES ('llm', 'open', 5, now()) RETURNING name",
    )
    with pytest.raises(CircuitOpen) as info:
        await execute_run(task_id, first, job_id, will_retry=no_retry)
    await dispose_engine()
    assert 0 < info.value.delay_seconds <= 30
    assert llm.requests == []
    [(status, _, error, _, _, finished)] = _runs(database_url, task_id)
    assert (status, finished) == ("rescheduled", False)
    assert "circuit breaker 'llm' is open" in error
    assert scalar(database_url, "SELECT consecutive_failures FROM ai_tasks") == 0


async def test_a_second_job_for_the_same_run_does_nothing(
    database_url: str, llm: ChatServer
) -> None:
    task_id, first, job_id = await _task()
    query(
        database_url,
        "INSERT INTO ai_task_runs (task_id, job_id, scheduled_for, status, tool_calls)"
        " VALUES (%s, %s, %s, 'running', '[]') RETURNING id",
        task_id,
        job_id,
        first,
    )
    # The first job is still waiting (todo): it has the run.
    busy = await execute_run(task_id, first, job_id + 1000, will_retry=retry)
    assert busy == {"status": "skipped", "reason": f"job {job_id} has this run"}

    done = await execute_run(task_id, first, job_id, will_retry=retry)
    again = await execute_run(task_id, first, job_id, will_retry=retry)
    await dispose_engine()
    assert done["status"] == "succeeded"
    assert again == {"status": "skipped", "reason": "this run already succeeded"}
    assert len(_runs(database_url, task_id)) == 1
    assert len(_notifications(database_url, task_id)) == 1
    assert len(llm.requests) == 1


async def test_one_time_and_max_runs_tasks_complete(database_url: str, llm: ChatServer) -> None:
    once, at, once_job = await _task("in 2 hours")
    capped, first, capped_job = await _task("every hour", max_runs=1)
    await execute_run(once, at, once_job, will_retry=retry)
    await execute_run(capped, first, capped_job, will_retry=retry)
    await dispose_engine()
    rows = query(
        database_url, "SELECT status, next_run_at, pending_job_id, run_count FROM ai_tasks"
    )
    assert rows == [("completed", None, None, 1), ("completed", None, None, 1)]
    assert "last run" in _notifications(database_url, once)[0][1]


async def test_without_an_llm_the_instructions_are_delivered_as_a_reminder(
    database_url: str,
) -> None:
    task_id, first, job_id = await _task(instructions="Water the plants")
    result = await execute_run(task_id, first, job_id, will_retry=retry)
    await dispose_engine()
    assert result["status"] == "succeeded"
    assert _notifications(database_url, task_id) == [("Weekly check", "Reminder: Water the plants")]


async def test_a_run_past_its_timeout_fails(
    database_url: str, llm: ChatServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PA_LLM_TIMEOUT_SECONDS", "10")
    monkeypatch.setenv("PA_AI_RUN_TIMEOUT_SECONDS", "1")
    reset_process_caches()
    task_id, first, job_id = await _task()
    llm.script(INSTRUCTIONS, text_reply("too slow", delay=2))
    with pytest.raises(RunTimedOut, match="longer than 1 s"):
        await execute_run(task_id, first, job_id, will_retry=retry)
    await dispose_engine()
    [(status, _, error, _, _, finished)] = _runs(database_url, task_id)
    assert (status, finished) == ("failed", True)
    assert "PA_AI_RUN_TIMEOUT_SECONDS" in error


async def test_list_time_and_email_tools(
    database_url: str, llm: ChatServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PA_NOTIFY_EMAIL_TO", "me@example.com")
    reset_process_caches()
    task_id, first, job_id = await _task(timezone="Europe/Paris")
    llm.script(
        INSTRUCTIONS,
        tool_reply(
            ("list_ai_tasks", {}),
            ("current_time", {}),
            ("queue_email", {"subject": "Your week", "text": "Nothing special."}),
        ),
        text_reply("Emailed you."),
    )
    await execute_run(task_id, first, job_id, will_retry=retry)
    await dispose_engine()
    [(_, _, _, tool_calls, _, _)] = _runs(database_url, task_id)
    listed, now, emailed = (call["result"] for call in tool_calls)
    assert [t["id"] for t in listed["tasks"]] == [task_id]
    assert now["timezone"] == "Europe/Paris"
    assert now["local"].endswith(("+01:00", "+02:00"))
    assert emailed["to"] == ["me@example.com"]
    [(recipients, subject)] = query(database_url, "SELECT recipients, subject FROM email_outbox")
    assert (recipients, subject) == (["me@example.com"], "Your week")
