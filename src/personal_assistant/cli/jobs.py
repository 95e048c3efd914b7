"""``pa-tasks jobs``: list, show, retry and cancel jobs."""

from __future__ import annotations

import typer

from personal_assistant.cli.output import as_json_text, table, when
from personal_assistant.cli.runtime import console, in_session, print_json
from personal_assistant.cli.terminal import styled
from personal_assistant.errors import BadInput
from personal_assistant.jobs import control, inspect
from personal_assistant.jobs.rescue import rescue_stalled_jobs
from personal_assistant.settings import QUEUES, get_settings

app = typer.Typer(help="Inspect and act on jobs.", no_args_is_help=True)

TRACEBACK_TAIL_LINES = 12


def _check_filters(status: str | None, queue: str | None) -> None:
    if status is not None and status not in inspect.STATUSES:
        raise BadInput(f"unknown status {status!r}; statuses are {', '.join(inspect.STATUSES)}")
    if queue is not None and queue not in QUEUES:
        raise BadInput(f"unknown queue {queue!r}; queues are {', '.join(QUEUES)}")


@app.command("list")
def list_jobs(
    status: str | None = typer.Option(None, help="todo, doing, succeeded, failed, ..."),
    queue: str | None = typer.Option(None, help="Only this queue."),
    task: str | None = typer.Option(None, help="Only this task (e.g. ping or maintenance:ping)."),
    limit: int = typer.Option(50, min=1, max=10_000, help="At most this many, newest first."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List jobs, newest first."""
    _check_filters(status, queue)
    if task is not None:
        # A short name is resolved by the App (procrastinate, every domain): loaded only then.
        from personal_assistant.jobs.lookup import task_filter

        task = task_filter(task)
    jobs = in_session(
        lambda s: inspect.list_jobs(s, status=status, queue=queue, task=task, limit=limit)
    )
    if as_json:
        print_json([job.as_json() for job in jobs])
        return
    table(
        "Jobs",
        ["id", "task", "queue", "status", "prio", "attempts", "scheduled", "updated"],
        (
            [
                j.id,
                j.task,
                j.queue,
                j.status,
                j.priority,
                j.attempts,
                when(j.scheduled_at),
                when(j.updated_at),
            ]
            for j in jobs
        ),
    )


@app.command("show")
def show_job(
    job_id: int = typer.Argument(..., help="The job id."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Show a job, its result, its last error and its events timeline."""
    detail = in_session(lambda s: inspect.get_job(s, job_id))
    if as_json:
        print_json(detail.as_json())
        return
    job = detail.job
    console.print(
        styled((f"Job {job.id}", "bold"), f"  {job.task}  on {job.queue}  ", (job.status, "bold"))
    )
    console.print(
        f"priority {job.priority}, attempts {job.attempts}, lock {job.lock or '-'}, "
        f"queueing lock {job.queueing_lock or '-'}, scheduled {when(job.scheduled_at)}"
    )
    typer.echo(f"args {as_json_text(job.args)}")
    if detail.result is not None:
        typer.echo(f"result {as_json_text(detail.result)}")
    if detail.errors:
        _print_error(detail.errors[-1], len(detail.errors))
    table("Events", ["at", "event"], ([when(e["at"]), e["type"]] for e in detail.events))


def _print_error(error: inspect.JobErrorView, count: int) -> None:
    earlier = f" ({count - 1} earlier, see --json)" if count > 1 else ""
    console.print(
        styled(
            ("last error", "bold red"),
            f" attempt {error.attempt} at {when(error.failed_at)}{earlier}",
        )
    )
    console.print(f"{error.error_type}: {error.message}", markup=False, highlight=False)
    tail = error.traceback.rstrip().splitlines()[-TRACEBACK_TAIL_LINES:]
    console.print("\n".join(f"  {line}" for line in tail), markup=False, highlight=False)


@app.command("retry")
def retry_job(
    job_id: int = typer.Argument(..., help="A failed, cancelled or aborted job."),
) -> None:
    """Put a failed, cancelled or aborted job back in its queue."""
    status = in_session(lambda s: control.retry_job(s, job_id))
    typer.echo(f"job {job_id} is {status}")


@app.command("cancel")
def cancel_job(
    job_id: int | None = typer.Argument(None, help="The job id (or filter with --status)."),
    abort: bool = typer.Option(False, "--abort", help="Also ask a running job to stop."),
    status: str | None = typer.Option(
        None, help="Cancel every job with this status (todo) matching --queue/--task."
    ),
    queue: str | None = typer.Option(None, help="With --status: only this queue."),
    task: str | None = typer.Option(None, help="With --status: only this task (full name)."),
    yes: bool = typer.Option(False, "--yes", "-y", help="With --status: do not ask."),
) -> None:
    """Cancel a waiting job; with --abort, stop a running one; with --status, many at once."""
    if job_id is None:
        _cancel_matching(status, queue, task, yes=yes, abort=abort)
        return
    if status is not None or queue is not None or task is not None:
        raise BadInput("give either a job id or --status with filters, not both")
    status_now = in_session(lambda s: control.cancel_job(s, job_id, abort=abort))
    typer.echo(f"job {job_id} is {status_now}")


def _cancel_matching(
    status: str | None, queue: str | None, task: str | None, *, yes: bool, abort: bool
) -> None:
    if status is None:
        raise BadInput("give a job id, or --status todo (with --queue/--task) to cancel many")
    if status != "todo":
        raise BadInput(
            f"only waiting jobs can be cancelled by filter: use --status todo, not {status!r}"
        )
    if abort:
        raise BadInput("--abort stops one running job: give its id")
    _check_filters(status, queue)
    count = in_session(lambda s: control.count_waiting(s, queue=queue, task=task))
    what = f"waiting job(s){f' on {queue}' if queue else ''}{f' of {task}' if task else ''}"
    if count == 0:
        typer.echo(f"no {what}; nothing cancelled")
        return
    if not yes and not typer.confirm(f"cancel {count} {what}?"):
        typer.echo("nothing cancelled")
        raise SystemExit(1)
    cancelled = in_session(lambda s: control.cancel_waiting(s, queue=queue, task=task))
    typer.echo(f"cancelled {cancelled} {what}")


@app.command("rescue")
def rescue(
    stalled_after: float | None = typer.Option(
        None, min=1, help="Seconds without heartbeat (default: PA_STALLED_AFTER_SECONDS)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Put jobs of dead workers back in their queue now (workers also do it every minute)."""
    settings = get_settings()
    report = in_session(
        lambda s: rescue_stalled_jobs(
            s,
            stalled_after=stalled_after or settings.stalled_after_seconds,
            max_attempts=settings.rescue_max_attempts,
        )
    )
    if as_json:
        print_json(report.as_json())
        return
    typer.echo(f"requeued {len(report.requeued)} job(s), failed {len(report.failed)}")
