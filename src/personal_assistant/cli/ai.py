"""``pa-tasks ai``: users' scheduled instructions, run in the background by an agent."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from personal_assistant.ai import lifecycle
from personal_assistant.ai.models import AITask, AITaskRun
from personal_assistant.ai.views import iso, run_json, task_json
from personal_assistant.cli.output import table
from personal_assistant.cli.runtime import console, in_session, print_json
from personal_assistant.cli.terminal import styled
from personal_assistant.mcp_client.patterns import split_patterns
from personal_assistant.notifications.models import Notification
from personal_assistant.notifications.service import failed_notifications

app = typer.Typer(
    help="AI tasks: scheduled instructions run by an agent with tools.", no_args_is_help=True
)

ID = typer.Argument(..., help="The AI task's id (see `pa-tasks ai list`).")


def _local(at: datetime | None, zone: str) -> str:
    if at is None:
        return "-"
    return at.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M:%S %Z")


def _echo_next(task: AITask, as_json: bool) -> None:
    if as_json:
        print_json(task_json(task))
        return
    typer.echo(
        f"{task.id}\tnext run {_local(task.next_run_at, task.timezone)} "
        f"({lifecycle.schedule_of(task).describe()})"
    )


@app.command("create")
def create(
    title: str = typer.Option(..., "--title", help="A short name."),
    instructions: str = typer.Option(..., "--instructions", help="What the agent should do."),
    schedule: str = typer.Option(
        ..., "--schedule", help="e.g. 'every weekday at 8:30', 'tomorrow at 9am', cron."
    ),
    tz: str | None = typer.Option(None, "--tz", help="IANA zone (default PA_USER_TIMEZONE)."),
    user: str | None = typer.Option(None, "--user", help="Owner (default PA_AI_DEFAULT_USER)."),
    channel: str = typer.Option("log", "--channel", help="log, email or webhook."),
    max_runs: int | None = typer.Option(None, "--max-runs", help="Complete after N runs."),
    tools: str | None = typer.Option(
        None, "--tools", help="MCP tools the agent may call: time.get_current_time,docs.*"
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Create a task; prints its id and next run time."""
    user_id, zone = lifecycle.owner_and_zone(user, tz)
    task = in_session(
        lambda s: lifecycle.create_task(
            s,
            user_id=user_id,
            title=title,
            instructions=instructions,
            schedule=schedule,
            timezone=zone,
            channel=channel,
            max_runs=max_runs,
            mcp_tools=split_patterns(tools) if tools is not None else None,
        )
    )
    _echo_next(task, as_json)


@app.command("update")
def update(
    task_id: int = ID,
    title: str | None = typer.Option(None, "--title"),
    instructions: str | None = typer.Option(None, "--instructions"),
    schedule: str | None = typer.Option(None, "--schedule"),
    tz: str | None = typer.Option(None, "--tz"),
    channel: str | None = typer.Option(None, "--channel", help="log, email or webhook."),
    max_runs: int | None = typer.Option(None, "--max-runs"),
    tools: str | None = typer.Option(None, "--tools", help="New MCP tools ('' for none)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Change a task; a new schedule replaces its pending run."""
    task = in_session(
        lambda s: lifecycle.update_task(
            s,
            task_id,
            title=title,
            instructions=instructions,
            schedule=schedule,
            timezone=tz,
            channel=channel,
            max_runs=max_runs,
            mcp_tools=split_patterns(tools) if tools is not None else None,
        )
    )
    _echo_next(task, as_json)


@app.command("list")
def list_command(
    user: str | None = typer.Option(None, "--user", help="Only this user's tasks."),
    status: str | None = typer.Option(None, "--status", help="active, paused, completed, ..."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """AI tasks, oldest first."""
    tasks = in_session(lambda s: lifecycle.list_tasks(s, user_id=user, status=status))
    if as_json:
        print_json([task_json(t) for t in tasks])
        return
    table(
        "AI tasks",
        ["id", "user", "title", "schedule", "status", "next run", "runs", "channel"],
        (
            [
                t.id,
                t.user_id,
                t.title,
                lifecycle.schedule_of(t).describe(),
                t.status,
                _local(t.next_run_at, t.timezone),
                t.run_count,
                t.channel,
            ]
            for t in tasks
        ),
    )


@app.command("show")
def show(
    task_id: int = ID,
    runs: int = typer.Option(10, "--runs", min=0, max=1000, help="How many recent runs."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """A task and its last runs."""

    async def load(session: AsyncSession) -> tuple[AITask, list[AITaskRun], list[Notification]]:
        task = await lifecycle.get_task(session, task_id)
        recent = await lifecycle.recent_runs(session, task_id, runs)
        return task, recent, await failed_notifications(session, f"ai_task:{task_id}")

    task, recent, undelivered = in_session(load)
    problems = [
        {
            "id": n.id,
            "channel": n.channel,
            "status": n.status,
            "attempts": n.attempts,
            "error": n.last_error,
            "created_at": iso(n.created_at),
        }
        for n in undelivered
    ]
    if as_json:
        print_json(
            {
                **task_json(task),
                "runs": [run_json(r) for r in recent],
                "notification_failures": problems,
            }
        )
        return
    console.print(
        styled((f"AI task {task.id}", "bold"), f": {task.title}  ", (task.status, "bold"))
    )
    console.print(f"for {task.user_id} on {task.channel}; {task.instructions}")
    console.print(
        f"{lifecycle.schedule_of(task).describe()}; next run "
        f"{_local(task.next_run_at, task.timezone)} (job {task.pending_job_id or '-'}); "
        f"{task.run_count} run(s), {task.consecutive_failures} failure(s) in a row"
    )
    table(
        "Runs",
        ["for", "status", "ms", "tools", "output / error"],
        (
            [
                _local(r.scheduled_for, task.timezone),
                r.status,
                r.duration_ms,
                len(r.tool_calls),
                (r.error or r.output or "")[:80],
            ]
            for r in recent
        ),
    )
    if problems:
        table(
            "Notification failures",
            ["id", "channel", "status", "attempts", "error"],
            ([p["id"], p["channel"], p["status"], p["attempts"], p["error"]] for p in problems),
        )


@app.command("pause")
def pause(task_id: int = ID) -> None:
    """Stop running; the pending run's job is cancelled."""
    in_session(lambda s: lifecycle.pause_task(s, task_id))
    typer.echo(f"AI task {task_id}: paused")


@app.command("resume")
def resume(task_id: int = ID) -> None:
    """Run again, from the schedule's next time after now."""
    task = in_session(lambda s: lifecycle.resume_task(s, task_id))
    typer.echo(f"AI task {task_id}: next run {_local(task.next_run_at, task.timezone)}")


@app.command("cancel")
def cancel(task_id: int = ID) -> None:
    """Stop for good; the task and its runs are kept."""
    in_session(lambda s: lifecycle.cancel_task(s, task_id))
    typer.echo(f"AI task {task_id}: cancelled")


@app.command("delete")
def delete(task_id: int = ID) -> None:
    """Delete a task and its runs."""
    in_session(lambda s: lifecycle.delete_task(s, task_id))
    typer.echo(f"AI task {task_id}: deleted")


@app.command("run-now")
def run_now(task_id: int = ID) -> None:
    """Run the task now, ahead of scheduled runs; prints the job id."""
    job_id = in_session(lambda s: lifecycle.run_now(s, task_id))
    typer.echo(job_id)
