"""Stored schedules as JSON, as every surface shows them (CLI, MCP server)."""

from __future__ import annotations

from typing import Any

from personal_assistant.schedules import service
from personal_assistant.schedules.models import ScheduleFire, StoredSchedule


def schedule_json(row: StoredSchedule) -> dict[str, Any]:
    return {
        "name": row.name,
        "task": row.task_name,
        "args": row.args,
        "schedule": row.schedule_text,
        "kind": row.kind,
        "normalized": row.normalized,
        "timezone": row.timezone,
        "anchor_at": row.anchor_at.isoformat() if row.anchor_at else None,
        "description": service.rule_of(row).describe(),
        "enabled": row.enabled,
        "queue": row.queue,
        "priority": row.priority,
        "misfire_policy": row.misfire_policy,
        "next_run_at": row.next_run_at.isoformat() if row.next_run_at else None,
        "last_run_at": row.last_run_at.isoformat() if row.last_run_at else None,
    }


def fire_json(fire: ScheduleFire) -> dict[str, Any]:
    return {"fire_at": fire.fire_at.isoformat(), "job_id": fire.job_id, "catch_up": fire.catch_up}
