"""``pa-tasks mcp`` and MCP tool calls as jobs and schedules, through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.db import query, scalar
from tests.support.mcp import probe_calls
from tests.support.processes import run_cli
from tests.support.refusal import assert_refused


def test_servers_and_tools_are_listed(mcp_config: Path) -> None:
    servers = run_cli("mcp", "servers", "--json")
    assert servers.code == 0, servers.err
    listed = {s["name"]: s for s in servers.json()}
    assert listed["probe"]["transport"] == "stdio"
    assert listed["probe"]["env"] == ["MCP_PROBE_LOG"]  # names only, never values
    assert listed["web"]["transport"] == "http"
    tools = run_cli("mcp", "tools", "probe", "--json")
    assert tools.code == 0, tools.err
    by_name = {t["name"]: t for t in tools.json()}
    assert set(by_name["record"]) == {"name", "description", "input_schema"}
    assert by_name["record"]["input_schema"]["properties"]["count"]["type"] == "integer"


def test_call_runs_one_call_now(mcp_config: Path, probe_log: Path) -> None:
    result = run_cli("mcp", "call", "web", "record", "--args", '{"text": "now"}', "--json")
    assert result.code == 0, result.err
    assert result.json()["text"] == "recorded now x1"
    assert len(probe_calls(probe_log)) == 1
    failed = run_cli("mcp", "call", "probe", "fail", "--args", '{"reason": "no route"}')
    assert failed.code == 1
    assert "probe.fail failed" in failed.err and "no route" in failed.err


def _schedule_record(arguments: str) -> list[str]:
    """``schedule mcp`` of probe.record at noon with these arguments."""
    return [
        "schedule",
        "mcp",
        "noon",
        "every day at noon",
        "--server",
        "probe",
        "--tool",
        "record",
        "--arguments",
        arguments,
    ]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            [
                "defer",
                "mcp:call_tool",
                "--args",
                '{"server": "probe", "tool": "record", "arguments": {"text": 1}}',
            ],
            "invalid arguments for probe.record: text: 1 is not of type 'string'",
        ),
        (
            ["defer", "call_tool", "--args", '{"server": "probe", "tool": "nope"}'],
            "MCP server 'probe' has no tool 'nope'",
        ),
        (
            ["defer", "call_tool", "--args", '{"server": "ghost", "tool": "record"}'],
            "unknown MCP server 'ghost'",
        ),
        (
            [
                "schedule",
                "add",
                "noon",
                "mcp:call_tool",
                "0 12 * * *",
                "--args",
                '{"server": "web", "tool": "record", "arguments": {}}',
            ],
            "'text' is a required property",
        ),
        (
            _schedule_record('{"text": "x", "count": "two"}'),
            "count: 'two' is not of type 'integer'",
        ),
        (
            _schedule_record("[1]"),
            "--arguments must be a JSON object",
        ),
        (
            [
                "ai",
                "create",
                "--title",
                "t",
                "--instructions",
                "i",
                "--schedule",
                "every day at 9",
                "--tools",
                "ghost.*",
            ],
            "names unknown server 'ghost'",
        ),
        (["mcp", "serve", "--tools", "defer_job,drop_database"], "unknown tool 'drop_database'"),
        (
            ["mcp", "call", "probe", "record", "--args", '{"text": "x", "extra": [}'],
            "--args is not valid JSON",
        ),
    ],
)
def test_schema_invalid_calls_are_refused_and_nothing_is_written(
    mcp_config: Path, probe_log: Path, args: list[str], expected: str
) -> None:
    assert_refused(str(scalar_url(mcp_config)), args, expected)
    assert probe_calls(probe_log) == []


def scalar_url(_: Path) -> str:
    import os

    return os.environ["DATABASE_URL"]


def test_the_plans_example_stores_a_checked_schedule(mcp_config: Path, database_url: str) -> None:
    added = run_cli(
        "schedule",
        "mcp",
        "time-at-noon",
        "every day at noon",
        "--server",
        "probe",
        "--tool",
        "get_current_time",
        "--arguments",
        '{"timezone": "UTC"}',
    )
    assert added.code == 0, added.err
    assert "probe.get_current_time at 12:00, every day (UTC)" in added.out
    cron = run_cli(
        "schedule",
        "add",
        "time-cron",
        "mcp:call_tool",
        "0 12 * * *",
        "--args",
        json.dumps({"server": "web", "tool": "get_current_time"}),
    )
    assert cron.code == 0, cron.err
    rows = query(database_url, "SELECT name, task_name, args FROM schedules ORDER BY name")
    assert rows == [
        (
            "time-at-noon",
            "mcp:call_tool",
            {"server": "probe", "tool": "get_current_time", "arguments": {"timezone": "UTC"}},
        ),
        ("time-cron", "mcp:call_tool", {"server": "web", "tool": "get_current_time"}),
    ]
    assert scalar(database_url, "SELECT count(*) FROM procrastinate_jobs") == 0
