"""``pa-tasks defer``: put one job, or a chain of jobs (``--then``), in its queue."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import typer
from procrastinate.tasks import Task

from personal_assistant.chains.service import start_chain
from personal_assistant.cli import runtime
from personal_assistant.cli.output import when
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


# Options of ``defer`` that take a value: their values are skipped when pairing steps.
_VALUED = {"--args", "--queue", "--at", "--in", "--priority", "--lock", "--queueing-lock"}


def pair_then_args(argv: list[str]) -> list[str | None]:
    """Each ``--then``'s own ``--then-args`` (None if it has none), in command-line order."""
    pairs: list[str | None] = []
    tokens = iter(argv)
    for token in tokens:
        option, _, inline = token.partition("=")
        if option not in {"--then", "--then-args"} | _VALUED:
            continue
        value = inline if "=" in token else next(tokens, None)
        if option == "--then":
            pairs.append(None)
        elif option == "--then-args":
            if not pairs or pairs[-1] is not None:
                raise BadInput(
                    "each --then-args follows its --then: --then B --then-args '{...}' --then C"
                )
            pairs[-1] = value
    return pairs


def chain_steps(
    first: Task[Any, Any, Any],
    first_args: dict[str, Any],
    then: list[str],
    then_args: list[str],
    argv: list[str] | None = None,
) -> list[tuple[Task[Any, Any, Any], dict[str, Any]]]:
    """The steps of ``defer A --then B --then-args J --then C``, each checked against its payload.

    A ``--then-args`` belongs to the ``--then`` before it; a ``--then`` without one takes ``{}``.
    """
    raws: list[str | None] = list(then_args)
    if argv or len(then_args) != len(then):
        raws = pair_then_args(argv or [])
        if len(raws) != len(then) or sum(r is not None for r in raws) != len(then_args):
            raise BadInput(
                f"got {len(then)} --then and {len(then_args)} --then-args: put each "
                "--then-args right after its --then (a --then without one takes '{}')"
            )
    steps = [(first, first_args)]
    for name, raw in zip(then, raws, strict=True):
        task = resolve_task(name)
        steps.append((task, validated_args(task, parse_args_json(raw or "{}", "--then-args"))))
    return steps


def _announce(line: str) -> None:
    """A line for people, on stderr: stdout stays the bare id for scripts."""
    typer.echo(line, err=True)


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
        steps = chain_steps(found, kwargs, then, then_args, runtime.argv())
        start = JobOptions(schedule_at=start_time(at, in_))

        async def chain(session: Any) -> Any:
            for step, step_args in steps:
                await checked_args(step, step_args)  # e.g. an MCP tool's input schema
            return await start_chain(session, steps, start)

        started = in_session(chain)
        run_at = start.schedule_at
        if as_json:
            print_json(
                {
                    "id": started.first_job_id,
                    "task": found.name,
                    "queue": found.queue,
                    "chain_id": started.chain_id,
                    "scheduled_at": run_at.isoformat() if run_at else None,
                    "steps": [step.name for step, _ in steps],
                }
            )
        else:
            typer.echo(started.first_job_id)
            _announce(
                f"chain {started.chain_id}: {' -> '.join(step.name for step, _ in steps)}; "
                f"first job {started.first_job_id} runs {_run_time(run_at)}"
            )
        return
    submitted = in_session(
        lambda session: submit_job(
            session,
            found.name,
            kwargs,
            schedule_at=start_time(at, in_),
            queue=queue,
            priority=priority,
            lock=lock,
            queueing_lock=queueing_lock,
        )
    )
    if as_json:
        print_json(submitted.as_json())
    else:
        typer.echo(submitted.id)
        if submitted.scheduled_at is not None:
            _announce(f"job {submitted.id}: {found.name} runs {_run_time(submitted.scheduled_at)}")


def _run_time(at: datetime | None) -> str:
    if at is None:
        return "now"
    return f"at {when(at)}"
