"""``pa-tasks defer``: put one job, or a chain of jobs (``--then``), in its queue."""

from __future__ import annotations

import json
from typing import Any

import typer
from procrastinate.tasks import Task

from personal_assistant.chains.service import start_chain
from personal_assistant.cli.runtime import in_session, print_json
from personal_assistant.errors import BadInput
from personal_assistant.jobs.enqueue import JobOptions, checked_args, validated_args
from personal_assistant.jobs.lookup import resolve_task
from personal_assistant.jobs.submit import check_queue, submit_job
from personal_assistant.schedule_text.starts import start_time


def parse_args_json(text: str, option: str = "--args") -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadInput(
            f"{option} is not valid JSON ({exc.msg} at column {exc.colno}); "
            """pass an object such as '{"message": "hi"}'"""
        ) from None
    if not isinstance(value, dict):
        raise BadInput(
            f"{option} must be a JSON object, not {type(value).__name__}; "
            """pass an object such as '{"message": "hi"}'"""
        )
    return value


def chain_steps(
    first: Task[Any, Any, Any], first_args: dict[str, Any], then: list[str], then_args: list[str]
) -> list[tuple[Task[Any, Any, Any], dict[str, Any]]]:
    """The steps of ``defer A --then B --then-args J ...``, each checked against its payload.

    The i-th ``--then-args`` goes with the i-th ``--then``: give one per step or none.
    """
    if then_args and len(then_args) != len(then):
        raise BadInput(
            f"got {len(then)} --then and {len(then_args)} --then-args: give one --then-args "
            "per --then, in the same order (use '{}' for a step without arguments), or none"
        )
    steps = [(first, first_args)]
    for index, name in enumerate(then):
        task = resolve_task(name)
        raw = then_args[index] if then_args else "{}"
        steps.append((task, validated_args(task, parse_args_json(raw, "--then-args"))))
    return steps


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
    then: list[str] = typer.Option(
        [], "--then", help="Run this task after the previous one succeeds (repeatable)."
    ),
    then_args: list[str] = typer.Option(
        [], "--then-args", help="JSON args of the matching --then, in the same order."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON object."),
) -> None:
    """Defer a job (or a chain of jobs, with --then) and print the (first) job's id."""
    found = resolve_task(task)
    kwargs = validated_args(found, parse_args_json(args))
    check_queue(queue)
    if then or then_args:
        if not then:
            raise BadInput("--then-args needs a --then: it gives the arguments of that step")
        if queue is not None or priority is not None or lock or queueing_lock:
            raise BadInput(
                "--queue, --priority, --lock and --queueing-lock apply to a single job; "
                "a chain (--then) takes only --at or --in"
            )
        steps = chain_steps(found, kwargs, then, then_args)
        start = JobOptions(schedule_at=start_time(at, in_))

        async def chain(session: Any) -> Any:
            for step, step_args in steps:
                await checked_args(step, step_args)
            return await start_chain(session, steps, start)

        started = in_session(chain)
        if as_json:
            print_json(
                {
                    "id": started.first_job_id,
                    "task": found.name,
                    "queue": found.queue,
                    "chain_id": started.chain_id,
                    "steps": [step.name for step, _ in steps],
                }
            )
        else:
            typer.echo(started.first_job_id)
        return
    submitted = in_session(
        lambda session: submit_job(
            session,
            task,
            kwargs,
            schedule_at=start_time(at, in_),
            queue=queue,
            priority=priority,
            lock=lock,
            queueing_lock=queueing_lock,
        )
    )
    if as_json:
        print_json({"id": submitted.id, "task": submitted.task, "queue": submitted.queue})
    else:
        typer.echo(submitted.id)
