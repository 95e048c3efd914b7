"""Cron expressions: validation, iteration over naive local wall time, description.

Five fields are standard cron (minute hour day-of-month month day-of-week). Six fields
put the seconds FIRST (second minute hour day-of-month month day-of-week), as in Quartz
and most documentation; croniter is told so with ``second_at_beginning``. Day-of-month
and day-of-week combine with OR, as in classic cron. Random/hashed fields (R, H) are
refused because they would not be deterministic.
"""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from croniter import CroniterBadDateError, CroniterError, croniter

from personal_assistant.schedule_text.errors import Unrecognized
from personal_assistant.schedule_text.phrases import (
    MONTH_NAMES,
    WEEKDAYS,
    describe_days,
    format_clock,
    ordinal,
)
from personal_assistant.schedule_text.timezones import next_wall_clock_run

ALIASES: dict[str, str] = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
}
_NAMES = "jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|mon|tue|wed|thu|fri|sat|sun"
_FIELD = re.compile(rf"(?:[0-9*?/,#\-lwhr()]|{_NAMES})+")
_HASHED = re.compile(r"(?:^|,)[hr](?:$|[(/,])")
_PROBE_START = datetime(2000, 1, 1)  # any fixed date: only "does it ever match" matters


def looks_like_cron(text: str) -> bool:
    """True for '@daily' or 5/6 whitespace-separated fields made of cron characters."""
    if text.startswith("@"):
        return True
    fields = text.lower().split()
    return len(fields) in (5, 6) and all(_FIELD.fullmatch(field) for field in fields)


def normalize_cron(text: str) -> str:
    """Validate a cron expression or alias and return its canonical (upper-case) form."""
    lowered = text.strip().lower()
    if lowered.startswith("@"):
        if lowered not in ALIASES:
            raise Unrecognized(f"unknown cron alias, use one of {', '.join(ALIASES)}")
        return ALIASES[lowered]
    fields = lowered.split()
    if len(fields) not in (5, 6):
        raise Unrecognized("a cron expression has 5 fields, or 6 with seconds first")
    if any(_HASHED.search(field) for field in fields):
        raise Unrecognized("random or hashed cron fields (R, H) are not supported")
    expression = " ".join(fields).upper()
    try:
        croniter(expression, _PROBE_START, second_at_beginning=len(fields) == 6).get_next()
    except CroniterBadDateError:
        raise Unrecognized("this cron expression never matches a date") from None
    except (CroniterError, ValueError, TypeError, KeyError, IndexError) as exc:
        raise Unrecognized(f"invalid cron expression: {str(exc).splitlines()[0]}") from None
    return expression


class CronRule:
    """A validated cron expression evaluated on the wall clock of ``zone``."""

    def __init__(self, expression: str, zone: ZoneInfo) -> None:
        self.expression = normalize_cron(expression)
        self.zone = zone
        self.with_seconds = len(self.expression.split()) == 6

    def next_after(self, after: datetime) -> datetime | None:
        # A fresh iterator per call keeps the rule immutable and thread-safe.
        iterator = croniter(
            self.expression,
            _PROBE_START,
            ret_type=datetime,
            second_at_beginning=self.with_seconds,
        )

        def step(cursor: datetime) -> datetime | None:
            iterator.set_current(cursor, force=True)
            try:
                found: datetime = iterator.get_next()
            except (CroniterBadDateError, ValueError, OverflowError):
                return None  # no match, or none before datetime's year 9999 limit
            return found

        return next_wall_clock_run(after, self.zone, step)

    def matches(self, naive: datetime) -> bool:
        """Whether a naive local wall time matches the expression (used by tests)."""
        return bool(croniter.match(self.expression, naive, second_at_beginning=self.with_seconds))

    def describe(self) -> str:
        return f"{_describe_fields(self.expression)} ({self.zone.key})"


def _int(field: str, low: int, high: int) -> int | None:
    return int(field) if field.isdigit() and low <= int(field) <= high else None


def _cron_days(field: str) -> frozenset[int] | None:
    """Cron day-of-week field (Sunday = 0 or 7) -> Python weekday numbers, if simple."""
    if field == "*":
        return frozenset(range(7))
    days: set[int] = set()
    for item in field.lower().split(","):
        bounds = item.split("-")
        if len(bounds) > 2:
            return None
        numbers = []
        for bound in bounds:
            if bound.isdigit() and int(bound) <= 7:
                numbers.append(int(bound))
            elif bound in WEEKDAYS and len(bound) == 3:
                numbers.append((WEEKDAYS[bound] + 1) % 7)
            else:
                return None
        first, last = numbers[0], numbers[-1]
        if last < first:
            return None
        days |= {(number - 1) % 7 for number in range(first, last + 1)}
    return frozenset(days)


def _describe_fields(expression: str) -> str:
    fields = expression.split()
    second, (minute, hour, dom, month, dow) = (fields[0] if len(fields) == 6 else "0"), fields[-5:]
    s, m, h = _int(second, 0, 59), _int(minute, 0, 59), _int(hour, 0, 23)
    if s is not None and m is not None and hour == "*" and (dom, month, dow) == ("*", "*", "*"):
        return f"every hour at minute {m}" + (f" and {s} seconds" if s else "")
    if s is None or m is None or h is None:
        return f"cron '{expression}'"
    at = "at " + format_clock(datetime(2000, 1, 1, h, m, s).time())
    days = _cron_days(dow) if (dom, month) == ("*", "*") else None
    day_of_month = -1 if dom == "L" else _int(dom, 1, 31)
    month_number = _int(month, 1, 12)
    if days is not None:
        return f"{at}, {describe_days(days)}"
    if day_of_month is not None and (month, dow) == ("*", "*"):
        which = "the last day" if day_of_month == -1 else f"the {ordinal(day_of_month)}"
        return f"{at}, on {which} of every month"
    if day_of_month is not None and day_of_month > 0 and month_number is not None and dow == "*":
        return f"{at}, every year on {MONTH_NAMES[month_number - 1]} {day_of_month}"
    return f"cron '{expression}'"
