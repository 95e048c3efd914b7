"""When a deferred job starts: ``--at`` (an instant in words or ISO) or ``--in`` (a delay)."""

from __future__ import annotations

from datetime import UTC, datetime

from personal_assistant.errors import BadInput
from personal_assistant.schedule_text.durations import parse_duration
from personal_assistant.schedule_text.errors import ScheduleError
from personal_assistant.schedule_text.parser import parse_instant


def start_time(at: str | None, in_: str | None, now: datetime | None = None) -> datetime | None:
    """The instant asked for, counted from ``now``; None when neither is given."""
    if at and in_:
        raise BadInput("give either --at or --in, not both")
    if not (at or in_):
        return None
    now = now or datetime.now(UTC)
    try:
        when = parse_instant(at, now=now) if at else now + parse_duration(in_ or "")
    except ScheduleError as exc:
        option = "--at" if at else "--in"
        raise BadInput(f"{option}: {exc}") from None
    if when < now:
        raise BadInput(
            f"--at {at!r} is in the past ({when:%Y-%m-%d %H:%M:%S} UTC); "
            "give a future time, or leave --at out to run now"
        )
    return when
