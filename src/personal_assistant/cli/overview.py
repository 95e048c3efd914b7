"""``pa-tasks queues`` and ``pa-tasks tasks``: what is waiting, and what can run."""

from __future__ import annotations

from typing import Any

import typer

from personal_assistant.cli.output import table
from personal_assistant.cli.runtime import in_session, print_json
from personal_assistant.jobs.declare import spec_of
from personal_assistant.jobs.inspect import STATUSES, queue_counts
from personal_assistant.jobs.lookup import registered_tasks
from personal_assistant.settings import QUEUES


def queues_command(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Job counts per status, per queue."""
    counts = in_session(queue_counts)
    names = list(QUEUES) + sorted(set(counts) - set(QUEUES))
    full = {q: {s: counts.get(q, {}).get(s, 0) for s in STATUSES} for q in names}
    if as_json:
        print_json(full)
        return
    table("Queues", ["queue", *STATUSES], ([q, *full[q].values()] for q in names))


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
