"""The AI tasks revision mirrors the models of breakers, notifications and AI tasks."""

from __future__ import annotations

from personal_assistant.db import migrate


def test_ai_tables_match_their_models(database_url: str) -> None:
    mine = ("circuit_breakers", "notifications", "ai_tasks", "ai_task_runs")
    differences = [d for d in migrate.drift(database_url) if any(t in repr(d) for t in mine)]
    assert differences == []
