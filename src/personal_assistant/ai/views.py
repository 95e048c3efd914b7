"""AI tasks and their runs as JSON, as every surface shows them (CLI, MCP server)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from personal_assistant.ai import lifecycle
from personal_assistant.ai.models import AITask, AITaskRun


def iso(at: datetime | None) -> str | None:
    return at.isoformat() if at else None


def task_json(task: AITask) -> dict[str, Any]:
    return {
        "id": task.id,
        "user": task.user_id,
        "title": task.title,
        "instructions": task.instructions,
        "schedule": task.schedule_text,
        "kind": task.schedule_kind,
        "normalized": task.schedule_normalized,
        "timezone": task.timezone,
        "anchor_at": iso(task.anchor_at),
        "mcp_tools": list(task.mcp_tools or []),
        "description": lifecycle.schedule_of(task).describe(),
        "status": task.status,
        "channel": task.channel,
        "next_run_at": iso(task.next_run_at),
        "last_run_at": iso(task.last_run_at),
        "run_count": task.run_count,
        "max_runs": task.max_runs,
        "consecutive_failures": task.consecutive_failures,
        "pending_job_id": task.pending_job_id,
        "created_at": iso(task.created_at),
        "updated_at": iso(task.updated_at),
    }


def run_json(run: AITaskRun) -> dict[str, Any]:
    return {
        "id": run.id,
        "job_id": run.job_id,
        "scheduled_for": iso(run.scheduled_for),
        "status": run.status,
        "started_at": iso(run.started_at),
        "finished_at": iso(run.finished_at),
        "duration_ms": run.duration_ms,
        "output": run.output,
        "error": run.error,
        "tool_calls": run.tool_calls,
    }
