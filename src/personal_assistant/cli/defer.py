"""``pa-tasks defer``: put one job in its queue."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import typer

from personal_assistant.cli.runtime import in_session, print_json
from personal_assistant.workers.lookup import resolve_task
from personal_assistant.errors import BadInput
from personal_assistant.settings import QUEUES
from personal_assistant.workers.enqueue import JobOptions, defer, validated_args


def parse_args_json(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadInput(
            f"--args is not valid JSON ({exc.msg} at column {exc.colno}); "
            """pass an object such as '{"message": "hi"}'"""
        ) from None
    if not isinstance(value, dict):
        raise BadInput(
            f"--args must be a JSON object, not {type(value).__name__}; "
            """pass an object such as '{"message": "hi"}'"""
        )
    return value


def schedule_time(at: str | None, in_: str | None, now: datetime | None = None) -> datetime | None:
    if at and in_:
        raise BadInput("give either --at or --in, not both")
    if not (at or in_):
        return None
    from personal_assistant.scheduling import ScheduleError, parse_duration, parse_instant

    now = now or datetime.now(UTC)
    try:
        if at:
            return parse_instant(at, now=now)
        if in_:
            return now + parse_duration(in_)
    except ScheduleError as exc:
        option = "--at" if at else "--in"
        raise BadInput(f"{option}: {exc}") from None
    return None


def defer_command(
    task: str = typer.Argument(..., help="Task name, e.g. maintenance:ping or just ping."),
    args: str = typer.Option("{}", "--args", help="Task arguments as a JSON object."),
    queue: str | None = typer.Option(None, help="Override the task's queue."),
    at: str | None = typer.Option(None, "--at", help="Start at: ISO time or e.g. 'tomorrow 9am'."),
    in_: str | None = typer.Option(None, "--in", help="Start after a delay, e.g. 10m, 2h."),
    priority: int | None = typer.Option(None, help="Higher runs first (default 0)."),
    lock: str | None = typer.Option(None, help="Jobs sharing a lock run one at a time."),
    queueing_lock: str | None = typer.Option(
        None, "--queueing-lock", help="At most one waiting job with this key."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON object."),
) -> None:
    """Defer a job and print its id."""
    found = resolve_task(task)
    kwargs = validated_args(found, parse_args_json(args))
    if queue is not None and queue not in QUEUES:
        raise BadInput(f"unknown queue {queue!r}; queues are {', '.join(QUEUES)}")
    options = JobOptions(
        schedule_at=schedule_time(at, in_),
        priority=priority,
        lock=lock,
        queueing_lock=queueing_lock,
        queue=queue,
    )
    job_id = in_session(lambda session: defer(session, found, kwargs, options))
    if as_json:
        print_json({"id": job_id, "task": found.name, "queue": queue or found.queue})
    else:
        typer.echo(job_id)
