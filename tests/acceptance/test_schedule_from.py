"""``schedule next --from`` and stored schedules take their reference instant from the
user: --from, or the creation of the schedule or AI task."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from personal_assistant.ai import lifecycle
from personal_assistant.db.session import session_scope
from personal_assistant.schedules import service
from tests.support.processes import run_cli

MONDAY = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("phrase", "first"),
    [
        ("in 30 minutes", "2026-11-23T08:30:00Z"),
        ("tomorrow at 2pm", "2026-11-24T14:00:00Z"),
        ("next monday at 9am", "2026-11-30T09:00:00Z"),
        ("at 5pm", "2026-11-23T17:00:00Z"),
        ("every 2 weeks on tuesday at 9am", "2026-11-24T09:00:00Z"),
    ],
)
def test_next_honours_from(database_url: str, phrase: str, first: str) -> None:
    result = run_cli(
        "schedule", "next", phrase, "--from", "2026-11-23T08:00:00Z", "--count", "1", "--json"
    )
    assert result.code == 0, result.err
    assert result.json() == [first]


async def test_stored_schedules_and_ai_tasks_are_anchored_at_their_creation(
    database_url: str,
) -> None:
    async with session_scope() as session:
        row = await service.add_schedule(
            session,
            name="fortnight",
            task_name="ping",
            schedule_text="every 2 weeks on tuesday at 9am",
            now=MONDAY,
        )
        task = await lifecycle.create_task(
            session,
            user_id="me",
            title="Review",
            instructions="Review the fortnight",
            schedule="every 2 weeks on tuesday at 9am",
            timezone="UTC",
            now=MONDAY,
        )
        stored = (row.anchor_at, row.next_run_at, task.anchor_at, task.next_run_at)
    tuesday = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    assert stored == (MONDAY, tuesday, MONDAY, tuesday)
