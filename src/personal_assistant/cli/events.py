"""``pa-tasks events``: the synced calendar events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import typer

from personal_assistant.cli.output import table
from personal_assistant.cli.runtime import in_session, print_json
from personal_assistant.errors import BadInput
from personal_assistant.sync.calendar_store import list_events

app = typer.Typer(help="Calendar events synced from ICS feeds.", no_args_is_help=True)

DEFAULT_DAYS = 30


def parse_iso(value: str, option: str) -> datetime:
    """An ISO date or date-time; without an offset it is local time."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise BadInput(
            f"{option}: {value!r} is not an ISO date or time; "
            "use e.g. 2026-01-05, 2026-01-05T09:00 or 2026-01-05T09:00+01:00"
        ) from None
    return parsed if parsed.tzinfo else parsed.astimezone()


@app.command("list")
def list_command(
    start: str | None = typer.Option(None, "--from", help="ISO date/time (default: now)."),
    end: str | None = typer.Option(
        None, "--to", help=f"ISO date/time (default: {DEFAULT_DAYS} days after --from)."
    ),
    limit: int = typer.Option(500, min=1, max=10_000, help="At most this many."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Events overlapping the window, earliest first."""
    since = parse_iso(start, "--from") if start else datetime.now(UTC)
    until = parse_iso(end, "--to") if end else since + timedelta(days=DEFAULT_DAYS)
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
