"""One valid sample payload per registered task, and how its job ends on a worker.

The every-task test defers each of these to a real worker. A task that is registered
without an entry here fails that test: add its sample, and say how it ends.

``outcome`` is the job's final status. A task that needs a service this test set-up does
not configure ends as documented: ``failed`` with ``error`` naming what is missing, never
a crash in the logging or the payload handling.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.mcp import ROOT


@dataclass(frozen=True)
class Sample:
    args: dict[str, Any]
    outcome: str = "succeeded"
    # For "failed": the recorded error type and a part of its message.
    error_type: str | None = None
    error: str | None = None
    # For "succeeded": keys the result must contain with these values.
    result: dict[str, Any] = field(default_factory=dict)


SAMPLES: dict[str, Sample] = {
    "ai:run_ai_task": Sample(
        # No such AI task: the run is skipped, not failed (a deleted task's late job).
        {"task_id": 999_999, "scheduled_for": "2026-01-05T09:00:00+00:00"},
        result={"status": "skipped"},
    ),
    "ai:process_due_ai_tasks": Sample({}),
    "email:send_email": Sample(
        # Its email is written with the job (email/outbox.py); a job without one is
        # refused for good, naming the id.
        {"outbox_id": 999_999},
        outcome="failed",
        error_type="EmailMissing",
        error="999999",
    ),
    "email:process_email_queue": Sample({}),
    "email:send_daily_email_summary": Sample({"force": True}),
    "files:backup_user_data": Sample({}),
    "files:cleanup_temp_files": Sample({"dry_run": True}),
    "general:run_command": Sample({"argv": ["echo", "sample"]}, result={"exit_code": 0}),
    "mcp:call_tool": Sample(
        # The SDK-built test server, configured as "time" by sample_environment.
        {"server": "time", "tool": "get_current_time", "arguments": {"timezone": "UTC"}},
        result={"server": "time", "tool": "get_current_time", "truncated": False},
    ),
    "general:call_plugin": Sample(
        # A real distribution with one entry point, made by sample_environment().
        {"plugin": "sample_echo", "kwargs": {"word": "hi"}},
        result={"plugin": "sample_echo", "result": {"echo": "hi"}},
    ),
    "general:reconcile_chains": Sample({}),
    "maintenance:ping": Sample({"message": "sample"}, result={"pong": "sample"}),
    "maintenance:rescue_stalled_jobs": Sample({}),
    "maintenance:prune_finished_jobs": Sample({}),
    "monitoring:evaluate_alerts": Sample({}),
    "notifications:notify": Sample({"notification_id": 999_999}, result={"status": "missing"}),
    "schedules:dispatch_schedules": Sample({}),
    "sync:sync_calendar_events": Sample({}),
    # No PA_NOTION_DATABASE_IDS: nothing to sync, so no token is needed.
    "sync:sync_notion_pages": Sample({}),
    "maintenance:optimize_database": Sample({}),
    "maintenance:cleanup_old_sessions": Sample({}),
    "maintenance:cleanup_old_logs": Sample({}),
    "maintenance:record_scheduler_heartbeat": Sample({}),
    "builtin:procrastinate.builtin_tasks.remove_old_jobs": Sample({"max_hours": 720}),
}


def sample_environment(tmp_path: Path) -> dict[str, str]:
    """Settings for the worker (and the deferring process) that the samples rely on.

    PYTHONPATH carries a plugin distribution; the caller puts it on ``sys.path`` too, so
    that deferring ``call_plugin`` finds the plugin as the worker will.
    """
    backups = tmp_path / "backups"
    scratch = tmp_path / "scratch"
    backups.mkdir(exist_ok=True)
    scratch.mkdir(exist_ok=True)
    return {
        "PA_LOG_LEVEL": "INFO",
        "PA_BACKUP_DIR": str(backups),
        "PA_CLEANUP_DIRS": str(scratch),
        "PA_COMMAND_ALLOWLIST": "echo",
        "PA_MCP_CONFIG": str(_mcp_config(tmp_path)),
        "PYTHONPATH": os.pathsep.join(
            p for p in (str(_plugin_site(tmp_path)), os.environ.get("PYTHONPATH")) if p
        ),
    }


def _plugin_site(tmp_path: Path) -> Path:
    site = tmp_path / "plugins"
    info = site / "pa_sample_plugin-1.0.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (site / "pa_sample_plugin.py").write_text("def echo(word):\n    return {'echo': word}\n")
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: pa-sample-plugin\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        "[personal_assistant.plugins]\nsample_echo = pa_sample_plugin:echo\n"
    )
    return site


def _mcp_config(tmp_path: Path) -> Path:
    server = {
        "command": sys.executable,
        "args": ["-m", "tests.support.mcp_server"],
        "cwd": str(ROOT),
        "env": {"MCP_PROBE_LOG": str(tmp_path / "probe.jsonl")},
    }
    path = tmp_path / "mcp.json"
    path.write_text(json.dumps({"mcpServers": {"time": server}}))
    return path
