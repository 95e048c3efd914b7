"""``pa-tasks history``: what ran, when, and how it ended (job attempts, schedule fires,
AI task runs), newest first."""

from __future__ import annotations

import typer

from personal_assistant.cli.output import table, when
from personal_assistant.cli.runtime import in_session, print_json


def history_command(
    task: str | None = typer.Option(None, "--task", help="Only this task (full or short name)."),
    schedule: str | None = typer.Option(None, "--schedule", help="Only this stored schedule."),
    ai_task: int | None = typer.Option(None, "--ai-task", help="Only this AI task's runs."),
    since: str | None = typer.Option(None, "--since", help="e.g. 1d, 2h, or an ISO instant."),
    status: str | None = typer.Option(
        None, "--status", help="succeeded, failed, retried, running, aborted, cancelled, ..."
    ),
    limit: int = typer.Option(100, "--limit", help="At most this many (1 to 10000)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Every execution, newest first, with its outcome and duration."""
    from personal_assistant.history.service import HistoryFilter, history

    where = HistoryFilter.parse(
        task=task, schedule=schedule, ai_task=ai_task, since=since, status=status, limit=limit
    )
    found = in_session(lambda s: history(s, where))
    if as_json:
        print_json([e.as_json() for e in found])
        return
    table(
        "History",
        ["at", "kind", "task", "outcome", "duration", "job", "schedule / AI task", "detail"],
        (
            [
                when(e.at),
                e.kind,
                e.task,
                e.outcome,
                f"{e.duration_s:.3f} s" if e.duration_s is not None else None,
                e.job_id,
                e.schedule or e.ai_task_id,
                (e.detail or "")[:60],
            ]
            for e in found
        ),
    )
