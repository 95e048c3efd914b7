"""The code-defined periodic tasks, shown beside the stored schedules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from personal_assistant.jobs.app import get_app
from personal_assistant.schedule_text import parse_schedule


@dataclass(frozen=True)
class SystemSchedule:
    task_name: str
    cron: str
    description: str
    next_run_at: datetime | None


def system_schedules(now: datetime) -> list[SystemSchedule]:
    found = []
    for periodic in get_app().periodic_registry.periodic_tasks.values():
        # procrastinate evaluates periodic crons in UTC.
        rule = parse_schedule(periodic.cron, tz="UTC")
        found.append(
            SystemSchedule(
                task_name=periodic.task.name,
                cron=periodic.cron,
                description=rule.describe(),
                next_run_at=rule.next_after(now),
            )
        )
    return sorted(found, key=lambda s: s.task_name)
