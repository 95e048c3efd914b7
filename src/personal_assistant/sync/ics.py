"""Parse an iCalendar (ICS) document into plain event records.

Each VEVENT becomes one record keyed by (UID, RECURRENCE-ID): a plain event or a
series' master has an empty recurrence id; an overridden occurrence of a series carries
its RECURRENCE-ID. Series are stored as their master with its RRULE, not expanded.

Times: zoned times keep their zone; floating times (no zone) are read in the
calendar's X-WR-TIMEZONE, else UTC; all-day dates become midnight UTC with
``all_day`` set. A missing end is DTSTART + DURATION, else one day for a date and
zero length for a time, as RFC 5545 says.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import icalendar

from personal_assistant.jobs.retry import PermanentError


class FeedInvalid(PermanentError):
    """The calendar feed is not a valid iCalendar document."""


@dataclass(frozen=True)
class ParsedEvent:
    uid: str
    recurrence_id: str
    summary: str
    description: str | None
    location: str | None
    starts_at: datetime
    ends_at: datetime
    all_day: bool
    status: str | None
    transparent: bool
    rrule: str | None

    @property
    def key(self) -> tuple[str, str]:
        return (self.uid, self.recurrence_id)

    def content_hash(self) -> str:
        fields = asdict(self)
        encoded = json.dumps(fields, default=str, sort_keys=True).encode()
        return hashlib.sha256(encoded).hexdigest()


@dataclass(frozen=True)
class ParsedCalendar:
    events: list[ParsedEvent]
    skipped: int  # VEVENTs without a UID or a start


def parse_calendar(data: bytes) -> ParsedCalendar:
    try:
        calendar = icalendar.Calendar.from_ical(data)
    except ValueError as exc:
        raise FeedInvalid(f"not an iCalendar document: {exc}") from None
    if not isinstance(calendar, icalendar.Calendar):
        raise FeedInvalid("not an iCalendar document: no VCALENDAR")
    floating = _calendar_zone(calendar)
    events: dict[tuple[str, str], ParsedEvent] = {}
    skipped = 0
    for component in calendar.walk("VEVENT"):
        event = _event(component, floating)
        if event is None:
            skipped += 1
            continue
        events[event.key] = event  # a repeated key: the later definition wins
    return ParsedCalendar(events=list(events.values()), skipped=skipped)


def _calendar_zone(calendar: icalendar.Calendar) -> tzinfo:
    name = calendar.get("X-WR-TIMEZONE")
    if name:
        try:
            return ZoneInfo(str(name))
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return UTC


def _event(component: Any, floating: tzinfo) -> ParsedEvent | None:
    uid = str(component.get("UID", "")).strip()
    if not uid or component.get("DTSTART") is None:
        return None
    try:
        start, end = component.start, component.end
    except (ValueError, TypeError):  # icalendar's IncompleteComponent is a ValueError
        return None
    all_day = not isinstance(start, datetime)
    starts_at = _instant(start, floating)
    ends_at = max(_instant(end, floating), starts_at)
    recurrence = component.get("RECURRENCE-ID")
    rrule = component.get("RRULE")
    return ParsedEvent(
        uid=uid,
        recurrence_id=_instant(recurrence.dt, floating).isoformat() if recurrence else "",
        summary=_text(component.get("SUMMARY")) or "",
        description=_text(component.get("DESCRIPTION")),
        location=_text(component.get("LOCATION")),
        starts_at=starts_at,
        ends_at=ends_at,
        all_day=all_day,
        status=(_text(component.get("STATUS")) or "").upper() or None,
        transparent=(_text(component.get("TRANSP")) or "").upper() == "TRANSPARENT",
        rrule=rrule.to_ical().decode() if rrule else None,
    )


def _instant(value: date | datetime, floating: tzinfo) -> datetime:
    if not isinstance(value, datetime):
        return datetime.combine(value, time(0), tzinfo=UTC)
    if value.tzinfo is None:
        return value.replace(tzinfo=floating).astimezone(UTC)
    return value.astimezone(UTC)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
