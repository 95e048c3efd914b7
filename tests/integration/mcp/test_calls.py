"""Calling tools of a real MCP server (the SDK's, in tests/support) over stdio and HTTP."""

from __future__ import annotations

from pathlib import Path

import pytest

from personal_assistant.errors import BadInput
from personal_assistant.mcp_client.calls import call_tool, check_call, list_tools
from personal_assistant.mcp_client.config import UnknownServer
from personal_assistant.mcp_client.errors import (
    InvalidArguments,
    McpUnavailable,
    ToolFailed,
    UnknownTool,
)
from tests.support.db import scalar
from tests.support.mcp import probe_calls, write_config
from tests.support.reset import reset_process_caches


@pytest.mark.parametrize("server", ["probe", "web"])
async def test_tools_are_listed_with_their_schemas(mcp_config: Path, server: str) -> None:
    tools = {tool.name: tool for tool in await list_tools(server)}
    assert {"get_current_time", "record", "fail", "big"} <= set(tools)
    record = tools["record"].as_json()
    assert record["description"] == "Record a call in the probe log and echo it."
    assert record["input_schema"]["required"] == ["text"]
    assert tools["get_current_time"].read_only


@pytest.mark.parametrize("server", ["probe", "web"])
async def test_a_call_runs_the_tool_once_and_returns_text_and_structure(
    mcp_config: Path, probe_log: Path, server: str
) -> None:
    result = await call_tool(server, "record", {"text": "hello", "count": 2})
    assert result.text == "recorded hello x2"
    assert [c["text"] for c in probe_calls(probe_log)] == ["hello"]
    timed = await call_tool(server, "get_current_time", {"timezone": "Europe/Paris"})
    assert timed.structured["timezone"] == "Europe/Paris"


async def test_a_stdio_server_gets_none_of_the_workers_secrets(
    mcp_config: Path, probe_log: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PA_LLM_API_KEY", "sk-secret")
    monkeypatch.setenv("PA_SMTP_PASSWORD", "hunter2")
    await call_tool("probe", "record", {"text": "env"})
    env = set(probe_calls(probe_log)[0]["env"])
    assert "MCP_PROBE_LOG" in env
    assert not {name for name in env if name.startswith("PA_") or name == "DATABASE_URL"}


async def test_a_tool_error_fails_with_its_message(mcp_config: Path) -> None:
    with pytest.raises(ToolFailed, match=r"probe\.fail failed: .*the disk is full"):
        await call_tool("probe", "fail", {"reason": "the disk is full"})


async def test_arguments_are_checked_against_the_schema(mcp_config: Path, probe_log: Path) -> None:
    with pytest.raises(InvalidArguments, match=r"probe\.record: text: 5 is not of type 'string'"):
        await check_call("probe", "record", {"text": 5})
    with pytest.raises(InvalidArguments, match="'text' is a required property"):
        await call_tool("probe", "record", {})
    with pytest.raises(UnknownTool, match="has no tool 'nope'; its tools: big, fail"):
        await check_call("probe", "nope", {})
    with pytest.raises(
        UnknownServer, match="unknown MCP server 'nope'; configured servers: probe, web"
    ):
        await check_call("nope", "record", {"text": "x"})
    assert probe_calls(probe_log) == []


async def test_large_results_are_capped(mcp_config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PA_MCP_RESULT_MAX_CHARS", "100")
    reset_process_caches()
    result = await call_tool("web", "big", {"size": 5000})
    assert result.truncated
    assert result.text.startswith("x" * 100) and result.text.endswith("[4900 more characters]")


async def test_an_unreachable_server_counts_against_its_breaker(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write_config(tmp_path / "mcp.json", tmp_path / "log", "http://127.0.0.1:9/mcp")
    monkeypatch.setenv("PA_MCP_CONFIG", str(config))
    monkeypatch.setenv("PA_MCP_BREAKER_FAILURES", "2")
    reset_process_caches()
    for _ in range(2):
        with pytest.raises(McpUnavailable, match="'web' \\(http\\) is unavailable"):
            await call_tool("web", "record", {"text": "x"})
    assert (
        scalar(database_url, "SELECT state FROM circuit_breakers WHERE name = 'mcp:web'") == "open"
    )
    # Checking a call before storing it needs the server: refused as bad input.
    with pytest.raises(BadInput, match="cannot check the call against its schema"):
        await check_call("web", "record", {"text": "x"})
