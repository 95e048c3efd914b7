"""Recurring phrases ("every weekday at 8:30", "every 2 weeks on tuesday") -> kind + stored form.

Compilation: second/minute/hour periods -> "interval"; day-based rules with an interval
of 1 -> 5-field cron (6 fields when the time has seconds); intervals > 1 -> RRULE with
DTSTART on the first matching local date, on or after today, whose run is after ``now``.
Without "at <time>" a rule runs at 09:00 local, the bare words "daily", "weekly",
"monthly", "yearly" and "annually" included ("daily" is "every day"); cron's own aliases
(@daily...) keep cron's midnight.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime, time
from zoneinfo import ZoneInfo

from personal_assistant.schedule_text.errors import Unrecognized
from personal_assistant.schedule_text.intervals import normalize_interval
from personal_assistant.schedule_text.phrases import (
    UNIT_SECONDS,
    parse_days,
    parse_month_day,
    parse_month_day_number,
    split_time,
)
from personal_assistant.schedule_text.recurrence import build_rrule, first_run
from personal_assistant.schedule_text.rules import ScheduleKind

Compiled = tuple[ScheduleKind, str]  # (kind, normalized)

DEFAULT_TIME = time(9)
MAX_COUNT = 1000  # "every 5000 days" is surely a typo
PARTS_OF_DAY = {"morning": time(8), "afternoon": time(14), "evening": time(18), "night": time(21)}
# "hourly" is an interval; "daily", "weekly"... read as "every day"... (09:00 by default).
BARE_WORDS: dict[str, Compiled] = {"hourly": ("interval", normalize_interval(3600))}
# "daily at 7" = "every day at 7", "monthly on the 15th" = "every month on the 15th".
WORD_TO_UNIT = {
    "daily": "day",
    "weekly": "week",
    "monthly": "month",
    "yearly": "year",
    "annually": "year",
}
_PREFIX = re.compile(r"(?:every|each)\s+(?P<body>.+)")
_WORD = re.compile(r"(?P<word>daily|weekly|monthly|yearly|annually)(?:\s+(?P<rest>.+))?")
_COUNT = r"(?:(?P<count>\d+|other)\s+)?"
_CALENDAR = re.compile(rf"{_COUNT}(?P<unit>day|week|month|year)s?(?:\s+on\s+(?P<on>.+))?")
_PERIOD = re.compile(
    r"(?:(?P<count>\d+|other)\s*)?(?P<unit>s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?)"
)
_FREQ = {"day": "DAILY", "week": "WEEKLY", "month": "MONTHLY", "year": "YEARLY"}


@dataclass(frozen=True)
class Spec:
    """A calendar rule before compilation; ``month_day`` -1 is the last day."""

    unit: str
    count: int
    at: time
    weekdays: frozenset[int] | None = None
    month_day: int | None = None
    month: int | None = None


def parse_recurring(text: str, now: datetime, zone: ZoneInfo) -> Compiled | None:
    """Compile a recurring phrase, or None if ``text`` does not start like one."""
    if text in BARE_WORDS:
        return BARE_WORDS[text]
    body, clock = split_time(text)  # also handles "at 9am every day"
    if match := _PREFIX.fullmatch(body):
        body = match["body"]
    elif match := _WORD.fullmatch(body):
        body = WORD_TO_UNIT[match["word"]] + (f" {match['rest']}" if match["rest"] else "")
    else:
        return None
    at = clock.value if clock is not None else None
    return _compile_body(body, at, now, zone)


def _compile_body(body: str, at: time | None, now: datetime, zone: ZoneInfo) -> Compiled:
    seconds = _period_seconds(body)
    if seconds is not None:
        if at is not None:
            raise Unrecognized("a period in seconds, minutes or hours cannot have 'at <time>'")
        return "interval", normalize_interval(seconds)
    if body in PARTS_OF_DAY:
        if at is not None:
            raise Unrecognized(f"'every {body}' already sets the time")
        return _compile(Spec("day", 1, PARTS_OF_DAY[body]), now, zone)
    spec = _calendar_spec(body, at or DEFAULT_TIME)
    if spec is None:
        raise Unrecognized()
    return _compile(spec, now, zone)


def _period_seconds(body: str) -> int | None:
    """'15 minutes', 'hour', 'other hour', '30s', '2h' -> seconds; None for other units."""
    match = _PERIOD.fullmatch(body)
    if match is None:
        return None
    count = {None: 1, "other": 2}.get(match["count"]) or int(match["count"])
    return count * UNIT_SECONDS[match["unit"]]  # normalize_interval checks the range


def _count(text: str | None) -> int:
    count = {None: 1, "other": 2}.get(text) or int(text or 0)
    if not 0 < count <= MAX_COUNT:
        raise Unrecognized(f"the interval must be a whole number from 1 to {MAX_COUNT}")
    return count


def _calendar_spec(body: str, at: time) -> Spec | None:
    """'day', '3 days', '2 weeks on tuesday', 'month on the 1st', 'weekday', 'mon and thu'."""
    match = _CALENDAR.fullmatch(body)
    if match is None:
        days = parse_days(body)
        return None if days is None else Spec("week", 1, at, weekdays=days)
    unit, count, on = match["unit"], _count(match["count"]), match["on"]
    if unit == "day":
        return None if on else Spec("day", count, at)
    if unit == "week":
        weekdays = parse_days(on) if on else None
        if on and weekdays is None:
            raise Unrecognized(f"unknown days {on!r}")
        return Spec("week", count, at, weekdays=weekdays)
    if unit == "month":
        month_day = parse_month_day_number(on) if on else 1
        if month_day is None:
            raise Unrecognized(f"unknown day of the month {on!r}")
        return Spec("month", count, at, month_day=month_day)
    month_and_day = parse_month_day(on) if on else (1, 1)
    if month_and_day is None:
        raise Unrecognized(f"unknown date {on!r}, e.g. 'december 25' or '12-25'")
    return Spec("year", count, at, month=month_and_day[0], month_day=month_and_day[1])


def _cron_weekdays(days: frozenset[int]) -> str:
    """Python weekdays -> compact cron day-of-week field (Sunday = 0): '1-5', '0,6'."""
    numbers = sorted((day + 1) % 7 for day in days)
    if len(numbers) == 7:
        return "*"
    groups: list[list[int]] = []
    for number in numbers:
        if groups and number == groups[-1][-1] + 1:
            groups[-1].append(number)
        else:
            groups.append([number])
    return ",".join(f"{g[0]}-{g[-1]}" if len(g) > 2 else ",".join(map(str, g)) for g in groups)


def _compile(spec: Spec, now: datetime, zone: ZoneInfo) -> Compiled:
    if spec.unit == "week" and spec.weekdays is None:
        # "every week" / "every 2 weeks": on the weekday of the first run.
        start = first_run("DAILY", spec.at, now, zone)
        spec = replace(spec, weekdays=frozenset({start.weekday()}))
    if spec.count > 1:
        freq = _FREQ[spec.unit]
        days, month_day, month = spec.weekdays, spec.month_day, spec.month
        start = first_run(freq, spec.at, now, zone, weekdays=days, month_day=month_day, month=month)
        rule = build_rrule(
            start, zone, freq, spec.count, weekdays=days, month_day=month_day, month=month
        )
        return "rrule", rule
    clock = f"{spec.at.minute} {spec.at.hour}"
    if spec.at.second:
        clock = f"{spec.at.second} {clock}"  # six fields: seconds first
    day_of_month = "L" if spec.month_day == -1 else str(spec.month_day or "*")
    month_field = str(spec.month or "*")
    weekdays = _cron_weekdays(spec.weekdays) if spec.weekdays else "*"
    return "cron", f"{clock} {day_of_month} {month_field} {weekdays}"
