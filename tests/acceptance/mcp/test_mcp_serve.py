"""``pa-tasks mcp serve`` driven by the SDK's own client, over stdio and HTTP."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from mcp import Client
from mcp.client.stdio import StdioServerParameters

from tests.support.db import query, scalar, table_counts
from tests.support.mcp import ROOT, free_port
from tests.support.processes import run_cli, wait_for


@asynccontextmanager
async def served(*options: str) -> AsyncIterator[Client]:
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "personal_assistant.cli.main", "mcp", "serve", *options],
        env={"DATABASE_URL": os.environ["DATABASE_URL"], "PA_LOG_FORMAT": "json"},
        cwd=str(ROOT),
    )
    async with Client(params, read_timeout_seconds=60) as client:
        yield client


async def call(client: Client, tool: str, arguments: dict[str, Any]) -> Any:
    result = await client.call_tool(tool, arguments)
    assert not result.is_error, result.content
    return json.loads(result.content[0].text)  # type: ignore[union-attr]


async def refused(client: Client, tool: str, arguments: dict[str, Any]) -> str:
    result = await client.call_tool(tool, arguments)
    assert result.is_error
    text: str = result.content[0].text  # type: ignore[union-attr]
    assert "\n" not in text and "Traceback" not in text
    return text


async def test_an_assistant_schedules_and_inspects_work(database_url: str) -> None:
    async with served() as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
        assert {"defer_job", "preview_schedule", "create_schedule", "get_schedule"} <= names
        assert {"get_history", "create_ai_task", "list_jobs", "delete_schedule"} <= names

        job = await call(client, "defer_job", {"task": "ping", "args": {"message": "hi"}})
        assert job["task"] == "maintenance:ping"
        assert scalar(
            database_url, "SELECT args FROM procrastinate_jobs WHERE id = %s", job["id"]
        ) == {"message": "hi"}

        preview = await call(
            client,
            "preview_schedule",
            {
                "schedule": "every weekday at 8:30",
                "timezone": "Europe/Paris",
                "count": 2,
                "start": "2026-12-24T00:00:00Z",
            },
        )
        assert preview["runs"] == ["2026-12-24T07:30:00Z", "2026-12-25T07:30:00Z"]

        before = table_counts(database_url)
        created = await call(
            client,
            "create_schedule",
            {
                "name": "standup",
                "task": "ping",
                "schedule": "every weekday at 8:30",
                "args": {"message": "standup"},
                "timezone": "Europe/Paris",
            },
        )
        assert created["description"] == "at 08:30, Monday to Friday (Europe/Paris)"
        assert table_counts(database_url)["schedules"] == before["schedules"] + 1
        shown = await call(client, "get_schedule", {"name": "standup"})
        assert shown["task"] == "maintenance:ping" and len(shown["upcoming"]) == 5
        assert (await call(client, "pause_schedule", {"name": "standup"}))["enabled"] is False

        jobs = await call(client, "list_jobs", {"task": "ping"})
        assert [j["id"] for j in jobs] == [job["id"]]

        # Each change is in the audit trail, beside the dashboard's actions; reads are not.
        audited = query(database_url, "SELECT actor, action FROM web_audit ORDER BY id")
        assert [action for actor, action in audited if actor == "mcp"] == [
            "mcp.defer_job",
            "mcp.create_schedule",
            "mcp.pause_schedule",
        ]

        # Refusals are the CLI's one line, and write nothing.
        before = table_counts(database_url)
        assert "invalid args for maintenance:ping" in await refused(
            client, "defer_job", {"task": "ping", "args": {"nope": 1}}
        )
        assert (
            "could not understand"
            in (
                await refused(
                    client,
                    "create_schedule",
                    {"name": "x", "task": "ping", "schedule": "every blue moon"},
                )
            ).lower()
        )
        assert "a schedule named 'standup' exists" in await refused(
            client, "create_schedule", {"name": "standup", "task": "ping", "schedule": "@daily"}
        )
        assert table_counts(database_url) == before


async def test_read_only_and_an_allow_list_narrow_the_tools(database_url: str) -> None:
    async with served("--read-only") as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
        assert "list_jobs" in names and "get_history" in names
        assert not names & {"defer_job", "create_schedule", "delete_schedule", "create_ai_task"}
        result = await client.call_tool("defer_job", {"task": "ping"})
        assert result.is_error
    async with served("--tools", "preview_schedule,list_jobs") as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
        assert names == {"preview_schedule", "list_jobs"}
    assert scalar(database_url, "SELECT count(*) FROM procrastinate_jobs") == 0


async def _defer_over_http(port: int) -> Any:
    async with Client(f"http://127.0.0.1:{port}/mcp", read_timeout_seconds=60) as client:
        return await call(client, "defer_job", {"task": "ping", "delay": "1h"})


def test_http_on_loopback_only(database_url: str) -> None:
    serve = [sys.executable, "-m", "personal_assistant.cli.main", "mcp", "serve", "--http"]
    off_loopback = run_cli("mcp", "serve", "--http", "--host", "0.0.0.0")
    assert off_loopback.code == 2 and "not loopback" in off_loopback.err
    port = free_port()
    process = subprocess.Popen(
        [*serve, "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:

        def listening() -> bool:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                return True
            except OSError:
                return False

        wait_for(listening, 60, "the HTTP MCP server")
        job = asyncio.run(_defer_over_http(port))
        rows = query(
            database_url, "SELECT task_name, scheduled_at IS NOT NULL FROM procrastinate_jobs"
        )
        assert rows == [("maintenance:ping", True)] and job["scheduled_at"]
    finally:
        process.terminate()
        process.wait(10)
