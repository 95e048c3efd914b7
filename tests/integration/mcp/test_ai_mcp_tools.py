"""An AI task calls MCP tools it names, through the loopback chat-completions server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from personal_assistant.ai import lifecycle
from personal_assistant.ai.execute import execute_run
from personal_assistant.db.session import dispose_engine, session_scope
from personal_assistant.errors import BadInput
from tests.support.db import query
from tests.support.loopback import ChatServer, text_reply, tool_reply
from tests.support.mcp import probe_calls
from tests.support.reset import reset_process_caches

INSTRUCTIONS = "Log the time"


@pytest.fixture
def llm(mcp_config: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ChatServer]:
    with ChatServer() as server:
        monkeypatch.setenv("PA_LLM_BASE_URL", server.base_url)
        monkeypatch.setenv("PA_LLM_TIMEOUT_SECONDS", "5")
        reset_process_caches()
        yield server


async def test_the_agent_is_given_the_named_tools_and_its_calls_are_recorded(
    database_url: str, llm: ChatServer, probe_log: Path
) -> None:
    async with session_scope() as session:
        task = await lifecycle.create_task(
            session,
            user_id="ada",
            title="Clock",
            instructions=INSTRUCTIONS,
            schedule="every day at 9",
            mcp_tools=["probe.record", "web.*"],
        )
        task_id, first, job_id = task.id, task.next_run_at, task.pending_job_id
    assert first is not None and job_id is not None
    llm.script(
        INSTRUCTIONS,
        tool_reply(
            ("mcp__probe__record", {"text": "from the agent"}),
            ("mcp__web__get_current_time", {"timezone": "Europe/Paris"}),
            ("mcp__probe__record", {"text": 42}),  # refused by the schema, never sent
            ("mcp__probe__fail", {"reason": "not offered"}),  # probe.fail is not allowed
        ),
        text_reply("Logged."),
    )
    result = await execute_run(task_id, first, job_id, will_retry=lambda exc: False)
    await dispose_engine()
    assert result["status"] == "succeeded"

    offered = {
        tool["function"]["name"]: tool["function"]
        for tool in llm.requests_for(INSTRUCTIONS)[0]["tools"]
    }
    assert "mcp__probe__fail" not in offered
    assert {"mcp__probe__record", "mcp__web__record", "mcp__web__fail"} <= set(offered)
    assert offered["mcp__probe__record"]["parameters"]["required"] == ["text"]
    assert "send_notification" in offered  # the built-in tools are still there

    [(calls,)] = query(
        database_url, "SELECT tool_calls FROM ai_task_runs WHERE task_id = %s", task_id
    )
    assert [c.get("mcp") for c in calls] == [
        "probe.record",
        "web.get_current_time",
        "probe.record",
        None,
    ]
    assert calls[0]["result"]["text"] == "recorded from the agent x1"
    assert calls[1]["result"]["structured"]["timezone"] == "Europe/Paris"
    assert "42 is not of type 'string'" in calls[2]["result"]["error"]
    assert "unknown tool 'mcp__probe__fail'" in calls[3]["result"]["error"]
    assert [c["text"] for c in probe_calls(probe_log)] == ["from the agent"]


async def test_tools_must_name_configured_servers(database_url: str, mcp_config: Path) -> None:
    async with session_scope() as session:
        for tools, expected in [
            (["ghost.*"], "names unknown server 'ghost'"),
            (["probe"], "is not 'server.tool' or 'server.*'"),
        ]:
            with pytest.raises(BadInput, match=expected):
                await lifecycle.create_task(
                    session,
                    user_id="ada",
                    title="x",
                    instructions="y",
                    schedule="every day at 9",
                    mcp_tools=tools,
                )
    await dispose_engine()
