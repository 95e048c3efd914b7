"""``pa-tasks queues``: what waits in each queue; pause, resume and scale them."""

from __future__ import annotations

import getpass
import socket
from typing import Any

import typer
from rich.markup import escape
from sqlalchemy.ext.asyncio import AsyncSession

from personal_assistant.cli.output import table, when
from personal_assistant.cli.runtime import in_session, print_json
from personal_assistant.jobs import queue_control
from personal_assistant.jobs.inspect import STATUSES, queue_counts
from personal_assistant.settings import QUEUES

app = typer.Typer(
    help="Job counts per queue (the default); pause, resume and scale queues.",
    invoke_without_command=True,
)


def _operator() -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{user}@{socket.gethostname()} (cli)"


async def _overview(session: AsyncSession) -> dict[str, dict[str, Any]]:
    counts = await queue_counts(session)
    controls = await queue_control.queue_controls(session)
    names = list(QUEUES) + sorted((set(counts) | set(controls)) - set(QUEUES))
    overview: dict[str, dict[str, Any]] = {}
    for name in names:
        control = controls.get(name, queue_control.QueueControl(queue=name))
        overview[name] = {
            **{s: counts.get(name, {}).get(s, 0) for s in STATUSES},
            "paused": control.paused,
            "concurrency": control.concurrency,
            "pause_reason": control.pause_reason,
            "paused_by": control.paused_by,
            "paused_at": control.paused_at,
        }
    return overview


@app.callback()
def queues(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Job counts per status, per queue, with each queue's pause and concurrency."""
    if ctx.invoked_subcommand is not None:
        return
    overview = in_session(_overview)
    if as_json:
        for row in overview.values():
            row["paused_at"] = row["paused_at"].isoformat() if row["paused_at"] else None
        print_json(overview)
        return
    table(
        "Queues",
        ["queue", "paused", "concurrency", *STATUSES],
        (
            [
                name,
                escape(f"yes since {when(row['paused_at'])}: {row['pause_reason'] or '-'}")
                if row["paused"]
                else "no",
                row["concurrency"] or "worker's",
                *(row[s] for s in STATUSES),
            ]
            for name, row in overview.items()
        ),
    )


def _report(control: queue_control.QueueControl, as_json: bool) -> None:
    if as_json:
        print_json(control.as_json())
        return
    state = "paused" if control.paused else "running"
    concurrency = control.concurrency or "the worker's own"
    typer.echo(f"queue {control.queue} is {state}, concurrency {concurrency}")


@app.command("pause")
def pause(
    queue: str = typer.Argument(..., help="The queue to pause."),
    reason: str | None = typer.Option(None, help="Why, shown to other operators."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Stop every worker taking jobs from QUEUE; running jobs finish, new ones wait."""
    queue_control.check_queue(queue)
    control = in_session(
        lambda s: queue_control.pause_queue(s, queue, reason=reason, by=_operator())
    )
    _report(control, as_json)


@app.command("resume")
def resume(
    queue: str = typer.Argument(..., help="The queue to resume."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Let workers take jobs from QUEUE again."""
    queue_control.check_queue(queue)
    control = in_session(lambda s: queue_control.resume_queue(s, queue, by=_operator()))
    _report(control, as_json)


@app.command("scale")
def scale(
    queue: str = typer.Argument(..., help="The queue to scale."),
    n: int = typer.Argument(..., help="Jobs of QUEUE at once in each worker serving it."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Change how many jobs of QUEUE each running worker runs at once; no restart."""
    queue_control.check_queue(queue)
    queue_control.check_concurrency(n)
    control = in_session(lambda s: queue_control.scale_queue(s, queue, n, by=_operator()))
    _report(control, as_json)
