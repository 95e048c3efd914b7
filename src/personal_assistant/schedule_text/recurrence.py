"""RFC 5545 recurrence rules, evaluated with dateutil on naive local wall time.

Stored form (two content lines; DTSTART is local wall time in the schedule's zone):

    DTSTART;TZID=Europe/Paris:20261124T090000
    RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=TU;WKST=MO

The rule's time of day comes from DTSTART. A UTC ``UNTIL=...Z`` (as RFC 5545 requires
with TZID) is converted to the local wall clock before dateutil sees it.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time
from itertools import islice
from zoneinfo import ZoneInfo

from dateutil.rrule import rrule, rrulestr

from personal_assistant.schedule_text.errors import Unrecognized
from personal_assistant.schedule_text.phrases import (
    MONTH_NAMES,
    describe_days,
    format_clock,
    ordinal,
)
from personal_assistant.schedule_text.timezones import (
    canonical_zone_name,
    next_wall_clock_run,
    resolve_local,
    wall_clock,
)

FREQUENCIES = ("YEARLY", "MONTHLY", "WEEKLY", "DAILY")  # dateutil's numbers 0..3
BYDAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_STAMP = "%Y%m%dT%H%M%S"
_DTSTART = re.compile(r"DTSTART(?:;TZID=(?P<tz>[^:;]+))?:(?P<stamp>\d{8}T\d{6})(?P<utc>Z?)")
_UTC_UNTIL = re.compile(r"UNTIL=(\d{8}T\d{6})Z")
_SIMPLE_PARTS = frozenset({"FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY", "BYMONTH", "WKST"})
_ANCHOR_SEARCH = 5000  # occurrences probed for the first future run (Feb 29 needs ~1500 days)


def build_rrule(
    start: datetime,
    zone: ZoneInfo,
    freq: str,
    interval: int,
    *,
    weekdays: frozenset[int] | None = None,
    month_day: int | None = None,
    month: int | None = None,
) -> str:
    """Stored form of a rule whose first occurrence is the naive local ``start``."""
    parts = [f"FREQ={freq}", f"INTERVAL={interval}"]
    if month is not None:
        parts.append(f"BYMONTH={month}")
    if month_day is not None:
        parts.append(f"BYMONTHDAY={month_day}")
    if weekdays:
        parts.append("BYDAY=" + ",".join(BYDAY_CODES[day] for day in sorted(weekdays)))
    parts.append("WKST=MO")
    return f"DTSTART;TZID={zone.key}:{start.strftime(_STAMP)}\nRRULE:{';'.join(parts)}"


def first_run(
    freq: str,
    clock: time,
    now: datetime,
    zone: ZoneInfo,
    *,
    weekdays: frozenset[int] | None = None,
    month_day: int | None = None,
    month: int | None = None,
) -> datetime:
    """The first naive local occurrence, on or after today, whose instant is after ``now``.

    This anchors DTSTART deterministically for "every 2 weeks on tuesday" and friends.
    """
    today = wall_clock(now, zone).date()
    probe = rrule(
        FREQUENCIES.index(freq),
        dtstart=datetime.combine(today, clock),
        byweekday=sorted(weekdays) if weekdays else None,
        bymonthday=month_day,
        bymonth=month,
    )
    for occurrence in islice(probe, _ANCHOR_SEARCH):
        if resolve_local(occurrence, zone) > now:
            found: datetime = occurrence
            return found
    raise Unrecognized("this rule never matches a date")


class RRuleRule:
    """A stored DTSTART + RRULE pair evaluated on the wall clock of ``zone``."""

    def __init__(self, text: str, zone: ZoneInfo) -> None:
        self.zone = zone
        self.start, self.body = _split(text, zone)
        self.normalized = (
            f"DTSTART;TZID={zone.key}:{self.start.strftime(_STAMP)}\nRRULE:{self.body}"
        )
        local_body = _UTC_UNTIL.sub(self._local_until, self.body)
        try:
            self.rule: rrule = rrulestr(f"RRULE:{local_body}", dtstart=self.start)
            first = self.rule.after(self.start, inc=True)
        except (ValueError, TypeError, KeyError, IndexError) as exc:
            raise Unrecognized(f"invalid RRULE: {str(exc).splitlines()[0]}") from None
        if first is None:
            raise Unrecognized("this rule never matches a date")

    def _local_until(self, match: re.Match[str]) -> str:
        until = datetime.strptime(match[1], _STAMP).replace(tzinfo=UTC)
        return f"UNTIL={wall_clock(until, self.zone).strftime(_STAMP)}"

    def next_after(self, after: datetime) -> datetime | None:
        def step(cursor: datetime) -> datetime | None:
            found: datetime | None = self.rule.after(cursor, inc=False)
            return found

        return next_wall_clock_run(after, self.zone, step)

    def describe(self) -> str:
        return f"{self._describe_rule()} ({self.zone.key})"

    def _describe_rule(self) -> str:
        parts = dict(part.split("=", 1) for part in self.body.split(";") if "=" in part)
        fallback = f"RRULE:{self.body} from {self.start:%Y-%m-%d %H:%M}"
        if not parts.keys() <= _SIMPLE_PARTS or parts.get("FREQ") not in FREQUENCIES:
            return fallback
        interval = int(parts.get("INTERVAL", "1"))
        unit = {"DAILY": "day", "WEEKLY": "week", "MONTHLY": "month", "YEARLY": "year"}
        every = f"every {unit[parts['FREQ']]}"
        if interval > 1:
            every = f"every {interval} {unit[parts['FREQ']]}s"
        where = _describe_where(parts, self.start)
        if where is None:
            return fallback
        starting = f", starting {self.start:%Y-%m-%d}" if interval > 1 else ""
        return f"at {format_clock(self.start.time())}, {every}{where}{starting}"


def _describe_where(parts: dict[str, str], start: datetime) -> str | None:
    """' on Tuesday', ' on the 15th', ' on December 25', '' -- or None if not simple."""
    freq = parts["FREQ"]
    if freq == "DAILY":
        return "" if parts.keys() <= {"FREQ", "INTERVAL", "WKST"} else None
    if freq == "WEEKLY" and parts.keys() <= {"FREQ", "INTERVAL", "WKST", "BYDAY"}:
        codes = parts.get("BYDAY", BYDAY_CODES[start.weekday()]).split(",")
        if not all(code in BYDAY_CODES for code in codes):
            return None
        return " on " + describe_days(frozenset(BYDAY_CODES.index(code) for code in codes))
    month_day = parts.get("BYMONTHDAY", str(start.day))
    if not re.fullmatch(r"-1|[1-9]|[12]\d|3[01]", month_day) or "BYDAY" in parts:
        return None
    if freq == "MONTHLY" and "BYMONTH" not in parts:
        return " on the last day" if month_day == "-1" else f" on the {ordinal(int(month_day))}"
    month = parts.get("BYMONTH", str(start.month))
    if freq == "YEARLY" and re.fullmatch(r"[1-9]|1[0-2]", month) and month_day != "-1":
        return f" on {MONTH_NAMES[int(month) - 1]} {month_day}"
    return None


def _split(text: str, zone: ZoneInfo) -> tuple[datetime, str]:
    """Split the stored text into the naive local DTSTART and the RRULE body."""
    lines = text.split()  # content lines never contain spaces; accepts one-line input too
    starts = [line for line in lines if line.upper().startswith("DTSTART")]
    rules = [line[6:].upper() for line in lines if line.upper().startswith("RRULE:")]
    if len(starts) != 1 or len(rules) != 1 or len(lines) != 2:
        raise Unrecognized("expected one DTSTART line and one RRULE line")
    match = _DTSTART.fullmatch(starts[0].upper())
    if match is None:
        raise Unrecognized("DTSTART must look like DTSTART;TZID=Europe/Paris:20261124T090000")
    try:
        start = datetime.strptime(match["stamp"], _STAMP)
    except ValueError:
        raise Unrecognized("DTSTART is not a valid date and time") from None
    if match["utc"]:
        start = wall_clock(start.replace(tzinfo=UTC), zone)
    elif match["tz"] and canonical_zone_name(match["tz"]) != zone.key:
        raise Unrecognized(f"DTSTART zone {match['tz']} differs from the schedule zone {zone.key}")
    return start, rules[0]
