"""``pa-tasks tasks``: what can run."""

from __future__ import annotations

from typing import Any

import typer

from personal_assistant.cli.output import table
from personal_assistant.cli.runtime import print_json
from personal_assistant.jobs.declare import spec_of
from personal_assistant.jobs.lookup import registered_tasks


def task_rows() -> list[dict[str, Any]]:
    rows = []
    for name, task in sorted(registered_tasks().items()):
        spec = spec_of(task)
        rows.append(
            {
                "name": name,
                "queue": task.queue,
                "retry": spec.retry.describe() if spec else "procrastinate default",
                "timeout_s": spec.timeout if spec else None,
                "periodic": spec.periodic if spec else None,
                "description": spec.description if spec else "",
            }
        )
    return rows


def tasks_command(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Every registered task with its queue, retry policy, timeout and cadence."""
    rows = task_rows()
    if as_json:
        print_json(rows)
        return
    table(
        "Tasks",
        ["task", "queue", "retry policy", "timeout", "periodic", "description"],
        (
            [r["name"], r["queue"], r["retry"], r["timeout_s"], r["periodic"], r["description"]]
            for r in rows
        ),
    )
