"""One-time phrases: ISO 8601, "in 30 minutes", "tomorrow at 2pm", "on friday at 17:00"...

Every function takes lower-cased, whitespace-collapsed text, the current instant and
the schedule's zone, and returns an aware UTC instant, or None when the text is not a
one-time phrase at all (so the parser can report a single "could not understand").
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from personal_assistant.schedule_text.durations import duration_seconds
from personal_assistant.schedule_text.errors import Unrecognized
from personal_assistant.schedule_text.phrases import (
    Clock,
    format_clock,
    parse_month_day,
    parse_weekday,
    split_time,
)
from personal_assistant.schedule_text.timezones import resolve_local, wall_clock

DEFAULT_TIME = time(9)  # "tomorrow", "next monday", "on friday": 09:00 local
TONIGHT_TIME = time(21)  # "tonight"
_ISO = re.compile(r"(?:on\s+)?(?P<iso>\d{4}-\d{2}-\d{2}(?:[t ]\S+)?)")
_DATE = re.compile(r"(?:on\s+)?(\d{4}-\d{2}-\d{2})")
_WEEKDAY = re.compile(r"(?:on\s+|this\s+)?([a-z]+)")
_NEXT_WEEKDAY = re.compile(r"next\s+([a-z]+)")
_MONTH_DAY = re.compile(r"(?:on\s+)?(.+)")

# A day phrase yields candidate local dates in order; ``strict`` means the first one
# must be in the future (no rolling over to a later date).
Candidates = tuple[list[date], bool]


def parse_iso(text: str, zone: ZoneInfo) -> datetime | None:
    """'2026-12-24', '2026-12-24T18:00', '2026-12-24 18:00:00+01:00', '2026-12-24T17:00Z'."""
    match = _ISO.fullmatch(text)
    if match is None:
        return None
    try:
        parsed = datetime.fromisoformat(match["iso"].upper())
    except ValueError:
        raise Unrecognized("not a valid ISO 8601 date or time") from None
    if parsed.tzinfo is None:
        return resolve_local(parsed, zone)  # no offset: the schedule's zone applies
    return parsed.astimezone(UTC)


def parse_relative(text: str, now: datetime) -> datetime | None:
    """'in 30 minutes', 'in 10m', '2h', '1h30m': absolute elapsed time from now."""
    seconds = duration_seconds(text.removeprefix("in "))
    if seconds is None:
        return None
    if seconds <= 0:
        raise Unrecognized("the delay must be positive")
    try:
        return now + timedelta(seconds=seconds)
    except OverflowError:
        raise Unrecognized("too far in the future") from None


def _weekday_candidates(today: date, weekday: int, *, skip_today: bool) -> list[date]:
    ahead = (weekday - today.weekday()) % 7
    if skip_today and ahead == 0:
        ahead = 7
    return [today + timedelta(days=ahead), today + timedelta(days=ahead + 7)]


def _day_candidates(words: str, today: date) -> Candidates | None:
    """Map day words to candidate dates; None if the words are not a day phrase."""
    if words == "":
        return [today, today + timedelta(days=1)], False  # "at 17:30": today, else tomorrow
    if words in ("today", "tonight"):
        return [today], True
    if words == "tomorrow":
        return [today + timedelta(days=1)], True
    if words == "next week":
        return _weekday_candidates(today, 0, skip_today=True)[:1], True
    if (match := _NEXT_WEEKDAY.fullmatch(words)) and (day := parse_weekday(match[1])) is not None:
        return _weekday_candidates(today, day, skip_today=True)[:1], True
    if (match := _WEEKDAY.fullmatch(words)) and (day := parse_weekday(match[1])) is not None:
        return _weekday_candidates(today, day, skip_today=False), False
    if match := _DATE.fullmatch(words):
        try:
            return [date.fromisoformat(match[1])], True
        except ValueError:
            raise Unrecognized("not a valid date") from None
    if (match := _MONTH_DAY.fullmatch(words)) and (month_day := parse_month_day(match[1])):
        month, day = month_day
        years = range(today.year, today.year + 9)  # February 29 may be up to 8 years away
        return [date(year, month, day) for year in years if _valid(year, month, day)], False
    return None


def _valid(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def _tonight(clock: Clock | None) -> time:
    """'tonight' = 21:00; 'tonight at 9' = 21:00; only afternoon/evening times make sense."""
    if clock is None:
        return TONIGHT_TIME
    value = clock.value
    if not clock.meridiem and 1 <= value.hour <= 11:
        value = value.replace(hour=value.hour + 12)
    if value.hour < 12:
        raise Unrecognized("'tonight' needs an evening time such as 'tonight at 9'")
    return value


def parse_day_phrase(text: str, now: datetime, zone: ZoneInfo) -> datetime | None:
    """'tomorrow at 2pm', 'next monday', 'on friday at 17:00', 'at 17:30', 'noon'."""
    words, clock = split_time(text)
    if words == "" and clock is None:
        return None
    today = wall_clock(now, zone).date()
    found = _day_candidates(words, today)
    if found is None:
        return None
    dates, strict = found
    if words == "tonight":
        at = _tonight(clock)
    else:
        at = clock.value if clock is not None else DEFAULT_TIME
    literal = _DATE.fullmatch(words) is not None  # an explicit date is taken as written
    for day in dates:
        instant = resolve_local(datetime.combine(day, at), zone)
        if instant > now or literal:
            return instant
        if strict:
            when = f"{words} at {format_clock(at)}"
            raise Unrecognized(f"{when} is already past; say 'tomorrow at ...' instead")
    raise Unrecognized("no future date matches")


ONE_TIME_GRAMMAR: tuple[Callable[[str, datetime, ZoneInfo], datetime | None], ...] = (
    lambda text, _now, zone: parse_iso(text, zone),
    lambda text, now, _zone: parse_relative(text, now),
    parse_day_phrase,
)


def parse_one_time(text: str, now: datetime, zone: ZoneInfo) -> datetime | None:
    """Try each one-time form in order; None if none of them applies."""
    for parse in ONE_TIME_GRAMMAR:
        found = parse(text, now, zone)
        if found is not None:
            return found
    return None
