"""Find a registered task by its full name or an unambiguous short name."""

from __future__ import annotations

from typing import Any

from procrastinate.tasks import Task

from personal_assistant.errors import BadInput, did_you_mean
from personal_assistant.jobs.app import get_app


def registered_tasks() -> dict[str, Task[Any, Any, Any]]:
    return {
        name: task
        for name, task in get_app().tasks.items()
        if task.name == name and not name.startswith("builtin:")
    }


def resolve_task(name: str) -> Task[Any, Any, Any]:
    tasks = registered_tasks()
    if name in tasks:
        return tasks[name]
    matches = [task for full, task in tasks.items() if full.rsplit(":", 1)[-1] == name]
    if len(matches) == 1:
        return matches[0]
    if matches:
        names = ", ".join(sorted(t.name for t in matches))
        raise BadInput(f"task name {name!r} is ambiguous: use one of {names}")
    short = sorted({full.rsplit(":", 1)[-1] for full in tasks} | set(tasks))
    raise BadInput(
        f"unknown task {name!r}{did_you_mean(name, short)} (`pa-tasks tasks` lists them)"
    )


def task_filter(name: str | None) -> str | None:
    """The full task name a filter means: short names resolve like ``defer``'s.

    A full name (with ``:``) that is no longer registered is kept as given, so jobs of a
    removed task can still be found.
    """
    if name is None:
        return None
    try:
        return resolve_task(name).name
    except BadInput:
        if ":" in name:
            return name
        raise
