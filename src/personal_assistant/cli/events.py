"""``pa-tasks events``: the synced calendar events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import typer

from personal_assistant.cli.output import table
from personal_assistant.cli.runtime import in_session, print_json
from personal_assistant.errors import BadInput
from personal_assistant.settings import get_settings
from personal_assistant.sync.calendar_store import list_events

app = typer.Typer(help="Calendar events synced from ICS feeds.", no_args_is_help=True)

DEFAULT_DAYS = 30


def parse_when(value: str, option: str, now: datetime) -> datetime:
    """Any time the schedule parser reads ('tomorrow', 'next monday', ISO), in
    PA_USER_TIMEZONE when the text names no zone."""
    from personal_assistant.schedule_text import ScheduleError, parse_instant

    try:
        return parse_instant(value, tz=get_settings().user_timezone, now=now)
    except ScheduleError as exc:
        raise BadInput(f"{option}: {exc}") from None


@app.command("list")
def list_command(
    start: str | None = typer.Option(
        None, "--from", help="e.g. 2026-01-05, 'tomorrow', 'next monday' (default: now)."
    ),
    end: str | None = typer.Option(
        None, "--to", help=f"Same forms (default: {DEFAULT_DAYS} days after --from)."
    ),
    limit: int = typer.Option(500, min=1, max=10_000, help="At most this many."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Events overlapping the window, earliest first."""
    now = datetime.now(UTC)
    since = parse_when(start, "--from", now) if start else now
    until = parse_when(end, "--to", now) if end else since + timedelta(days=DEFAULT_DAYS)
    if until <= since:
        raise BadInput("--to must be after --from")
    events = in_session(lambda s: list_events(s, since, until, limit))
    if as_json:
        print_json(events)
        return
    table(
        "Events",
        ["start", "end", "summary", "location", "feed", "conflicts"],
        (
            [
                _local(e["starts_at"], e["all_day"]),
                _local(e["ends_at"], e["all_day"]),
                e["summary"],
                e["location"],
                e["feed"],
                e["conflicts"] or "",
            ]
            for e in events
        ),
    )


def _local(iso: str, all_day: bool) -> str:
    moment = datetime.fromisoformat(iso)
    if all_day:
        return moment.strftime("%Y-%m-%d")
    return moment.astimezone().strftime("%Y-%m-%d %H:%M %Z")
