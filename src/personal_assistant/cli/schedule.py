"""``pa-tasks schedule``: stored schedules (editable at runtime) and system schedules."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import typer

from personal_assistant.cli.defer import parse_args_json
from personal_assistant.cli.output import as_json_text, table
from personal_assistant.cli.runtime import console, in_session, print_json
from personal_assistant.cli.terminal import styled
from personal_assistant.errors import BadInput
from personal_assistant.schedule_text import ScheduleError, parse_instant, parse_timezone
from personal_assistant.schedules import service
from personal_assistant.schedules.models import StoredSchedule
from personal_assistant.schedules.system import system_schedules
from personal_assistant.schedules.views import schedule_json

app = typer.Typer(
    help="Schedules: natural language, cron or ISO; stored and editable.", no_args_is_help=True
)


def _local(at: datetime | None, zone: str) -> str:
    if at is None:
        return "-"
    return at.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M:%S %Z")


def _zone(tz: str | None) -> str | None:
    if tz is None:
        return None
    try:
        return parse_timezone(tz).key
    except ScheduleError as exc:
        raise BadInput(str(exc)) from None


@app.command("add")
def add(
    name: str = typer.Argument(..., help="A unique name."),
    task: str = typer.Argument(..., help="The task to run, e.g. maintenance:ping."),
    schedule: str = typer.Argument(..., help="e.g. 'every weekday at 8:30', '0 9 * * 1-5'."),
    args: str = typer.Option("{}", "--args", help="Task arguments as a JSON object."),
    tz: str | None = typer.Option(None, "--tz", help="IANA zone, e.g. Europe/Paris."),
    queue: str | None = typer.Option(None, help="Override the task's queue."),
    priority: int | None = typer.Option(None, help="Job priority (higher first)."),
    misfire: str = typer.Option("run_once", help="After downtime: run_once or skip."),
) -> None:
    """Store a schedule; its runs are deferred at their exact times."""
    task_args = parse_args_json(args)
    row = in_session(
        lambda s: service.add_schedule(
            s,
            name=name,
            task_name=task,
            schedule_text=schedule,
            args=task_args,
            timezone=_zone(tz),
            queue=queue,
            priority=priority,
            misfire_policy=misfire,
        )
    )
    typer.echo(
        f"{row.name}: {service.rule_of(row).describe()}; next run {_local(row.next_run_at, row.timezone)}"
    )


@app.command("mcp")
def add_mcp(
    name: str = typer.Argument(..., help="A unique name."),
    schedule: str = typer.Argument(..., help="e.g. 'every day at noon', '0 12 * * *'."),
    server: str = typer.Option(..., "--server", help="A server of PA_MCP_CONFIG."),
    tool: str = typer.Option(..., "--tool", help="One of its tools."),
    arguments: str = typer.Option("{}", "--arguments", help="The tool's arguments (JSON)."),
    tz: str | None = typer.Option(None, "--tz", help="IANA zone, e.g. Europe/Paris."),
    misfire: str = typer.Option("run_once", help="After downtime: run_once or skip."),
) -> None:
    """Store a schedule that calls an MCP tool (mcp:call_tool); arguments are checked now."""
    payload = {
        "server": server,
        "tool": tool,
        "arguments": parse_args_json(arguments, "--arguments"),
    }
    row = in_session(
        lambda s: service.add_schedule(
            s,
            name=name,
            task_name="mcp:call_tool",
            schedule_text=schedule,
            args=payload,
            timezone=_zone(tz),
            misfire_policy=misfire,
        )
    )
    typer.echo(
        f"{row.name}: {server}.{tool} {service.rule_of(row).describe()}; "
        f"next run {_local(row.next_run_at, row.timezone)}"
    )


@app.command("edit")
def edit(
    name: str = typer.Argument(..., help="The schedule's name."),
    schedule: str | None = typer.Option(None, "--schedule", help="New schedule text."),
    args: str | None = typer.Option(None, "--args", help="New task arguments (JSON object)."),
    tz: str | None = typer.Option(None, "--tz", help="New IANA zone."),
    queue: str | None = typer.Option(None, help="New queue override."),
    priority: int | None = typer.Option(None, help="New priority."),
    misfire: str | None = typer.Option(None, help="run_once or skip."),
) -> None:
    """Change a schedule at runtime; it takes effect from its next run."""
    change = service.ScheduleChange(
        schedule_text=schedule,
        args=parse_args_json(args) if args is not None else None,
        timezone=_zone(tz),
        queue=queue,
        priority=priority,
        misfire_policy=misfire,
    )
    row = in_session(lambda s: service.edit_schedule(s, name, change))
    typer.echo(f"{row.name}: next run {_local(row.next_run_at, row.timezone)}")


@app.command("list")
def list_schedules(
    tz: str | None = typer.Option(None, "--tz", help="Show times in this zone."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Stored schedules and the code-defined system schedules, with their next runs."""
    zone = _zone(tz)
    rows = in_session(service.list_schedules)
    system = system_schedules(datetime.now(UTC))
    if as_json:
        print_json(
            {
                "schedules": [schedule_json(r) for r in rows],
                "system": [
                    {
                        "task": s.task_name,
                        "cron": s.cron,
                        "timezone": "UTC",
                        "description": s.description,
                        "next_run_at": s.next_run_at.isoformat() if s.next_run_at else None,
                    }
                    for s in system
                ],
            }
        )
        return
    table(
        "Schedules",
        ["name", "task", "schedule", "next run", "enabled", "misfire"],
        (
            [
                r.name,
                r.task_name,
                service.rule_of(r).describe(),
                _local(r.next_run_at, zone or r.timezone),
                "yes" if r.enabled else "paused",
                r.misfire_policy,
            ]
            for r in rows
        ),
    )
    table(
        "System schedules (code-defined)",
        ["task", "cron", "schedule", "next run"],
        (
            [s.task_name, s.cron, s.description, _local(s.next_run_at, zone or "UTC")]
            for s in system
        ),
    )


@app.command("show")
def show(
    name: str = typer.Argument(..., help="The schedule's name."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """A schedule, its next runs and its recent runs."""

    async def load(session: Any) -> tuple[StoredSchedule, list[Any]]:
        row = await service.get_schedule(session, name)
        return row, await service.recent_fires(session, row.id)

    row, fires = in_session(load)
    upcoming = service.rule_of(row).upcoming(datetime.now(UTC), 5) if row.enabled else []
    recent = [
        {"fire_at": f.fire_at.isoformat(), "job_id": f.job_id, "catch_up": f.catch_up}
        for f in fires
    ]
    if as_json:
        print_json(
            {**schedule_json(row), "upcoming": [u.isoformat() for u in upcoming], "recent": recent}
        )
        return
    console.print(styled((row.name, "bold"), f": {row.task_name} {as_json_text(row.args)}"))
    console.print(f"{service.rule_of(row).describe()}  ({row.kind}: {row.normalized})")
    console.print(f"{'enabled' if row.enabled else 'paused'}, misfire {row.misfire_policy}")
    table("Next runs", ["at"], ([_local(u, row.timezone)] for u in upcoming))
    table(
        "Recent runs", ["for", "job"], ([_local(f.fire_at, row.timezone), f.job_id] for f in fires)
    )


@app.command("pause")
def pause(name: str = typer.Argument(..., help="The schedule's name.")) -> None:
    """Stop firing; runs already deferred but not started are cancelled."""
    in_session(lambda s: service.set_enabled(s, name, False))
    typer.echo(f"{name}: paused")


@app.command("resume")
def resume(name: str = typer.Argument(..., help="The schedule's name.")) -> None:
    """Fire again, from the next time after now."""
    row = in_session(lambda s: service.set_enabled(s, name, True))
    typer.echo(f"{name}: next run {_local(row.next_run_at, row.timezone)}")


@app.command("delete")
def delete(name: str = typer.Argument(..., help="The schedule's name.")) -> None:
    """Delete a schedule and cancel its pending runs."""
    in_session(lambda s: service.delete_schedule(s, name))
    typer.echo(f"{name}: deleted")


@app.command("next")
def next_runs(
    schedule: str = typer.Argument(..., help="Schedule text to preview."),
    count: int = typer.Option(5, min=1, max=1000, help="How many runs."),
    tz: str | None = typer.Option(None, "--tz", help="IANA zone."),
    from_: str | None = typer.Option(None, "--from", help="Preview from this ISO instant."),
    as_json: bool = typer.Option(False, "--json", help="Print ISO 8601 UTC instants."),
) -> None:
    """Preview the next runs of a schedule; writes nothing.

    Everything counts from --from (default: now): relative phrases ("in 30 minutes",
    "at 5pm", "next monday") and the start of "every 2 weeks" alike.
    """
    zone = _zone(tz)
    try:
        start = parse_instant(from_, tz=zone) if from_ else datetime.now(UTC)
    except ScheduleError as exc:
        raise BadInput(f"--from: {exc}") from None
    rule, runs = service.preview(schedule, count=count, timezone=zone, start=start)
    if as_json:
        print_json([r.astimezone(UTC).isoformat().replace("+00:00", "Z") for r in runs])
        return
    console.print(rule.describe())
    for at in runs:
        typer.echo(f"  {_local(at, rule.timezone)}")
