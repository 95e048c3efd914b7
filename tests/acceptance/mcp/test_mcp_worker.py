"""MCP tool calls run by a real worker: a schedule fires each time exactly once, a tool
error fails its job with the tool's message and is not retried."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from personal_assistant.db.session import dispose_engine, session_scope
from personal_assistant.jobs.enqueue import defer
from personal_assistant.schedules.tasks import dispatch_schedules
from tests.support.db import query, scalar
from tests.support.mcp import probe_calls
from tests.support.processes import WorkerProcess, run_cli, wait_for

pytestmark = pytest.mark.slow


def _mcp_jobs(url: str, status: str) -> int:
    count: int = scalar(
        url,
        "SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'mcp:call_tool' AND status = %s",
        status,
    )
    return count


async def test_scheduled_calls_run_once_per_fire_and_tool_errors_fail(
    mcp_config: Path, probe_log: Path, database_url: str, tmp_path: Path
) -> None:
    added = run_cli(
        "schedule",
        "add",
        "tick",
        "mcp:call_tool",
        "every 3 seconds",
        "--args",
        json.dumps({"server": "probe", "tool": "record", "arguments": {"text": "tick"}}),
    )
    assert added.code == 0, added.err
    failing = run_cli(
        "defer",
        "mcp:call_tool",
        "--args",
        json.dumps({"server": "web", "tool": "fail", "arguments": {"reason": "quota exceeded"}}),
    )
    assert failing.code == 0, failing.err
    failing_id = int(failing.out)
    async with session_scope() as session:
        await defer(session, dispatch_schedules, {"timestamp": int(datetime.now(UTC).timestamp())})
    await dispose_engine()
    worker = WorkerProcess(
        ["--queues", "sync_tasks,maintenance_tasks", "--name", "mcp"], tmp_path / "worker.log"
    )
    try:
        wait_for(lambda: _mcp_jobs(database_url, "succeeded") >= 3, 90, "three scheduled calls")
        assert run_cli("schedule", "pause", "tick").code == 0
        wait_for(lambda: _mcp_jobs(database_url, "doing") == 0, 30, "calls in flight")
    finally:
        worker.terminate()
    succeeded = _mcp_jobs(database_url, "succeeded")
    calls = probe_calls(probe_log)
    assert len(calls) == succeeded, "one tool call per job that ran"
    fired = query(
        database_url,
        "SELECT f.fire_at, j.status::text, j.attempts FROM schedule_fires f"
        " JOIN procrastinate_jobs j ON j.id = f.job_id ORDER BY f.fire_at",
    )
    ran = [row for row in fired if row[1] == "succeeded"]
    assert len(ran) == succeeded and all(attempts == 1 for _, _, attempts in ran)
    assert {c["text"] for c in calls} == {"tick"}
    result = scalar(
        database_url,
        "SELECT r.result FROM job_results r JOIN schedule_fires f ON f.job_id = r.job_id LIMIT 1",
    )
    assert result["text"] == "recorded tick x1" and result["server"] == "probe"
    assert (
        scalar(
            database_url, "SELECT status::text FROM procrastinate_jobs WHERE id = %s", failing_id
        )
        == "failed"
    )
    assert (
        scalar(database_url, "SELECT attempts FROM procrastinate_jobs WHERE id = %s", failing_id)
        == 1
    ), "a tool error is not retried"
    assert "quota exceeded" in worker.log()
    message = scalar(database_url, "SELECT message FROM job_errors WHERE job_id = %s", failing_id)
    assert "web.fail failed" in message and "quota exceeded" in message
