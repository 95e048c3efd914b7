"""Word tables and tiny parsers shared by the one-time and recurring grammars.

Everything here works on lower-cased, whitespace-collapsed text and returns None for
"not this kind of phrase", so the callers can try alternatives in a fixed order.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import time

DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip

# Python weekday numbers (Monday = 0).
WEEKDAYS: dict[str, int] = {
    **{name.lower(): number for number, name in enumerate(DAY_NAMES)},
    **{name[:3].lower(): number for number, name in enumerate(DAY_NAMES)},
    "tues": 1, "weds": 2, "thur": 3, "thurs": 3,
}  # fmt: skip
DAY_GROUPS: dict[str, frozenset[int]] = {
    "day": frozenset(range(7)),
    "weekday": frozenset(range(5)),
    "weekend": frozenset({5, 6}),
}
MONTHS: dict[str, int] = {
    **{name.lower(): number for number, name in enumerate(MONTH_NAMES, start=1)},
    **{name[:3].lower(): number for number, name in enumerate(MONTH_NAMES, start=1)},
    "sept": 9,
}

UNIT_SECONDS: dict[str, int] = {
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds"), 1),
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), 60),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), 3600),
    **dict.fromkeys(("d", "day", "days"), 86_400),
    **dict.fromkeys(("w", "wk", "wks", "week", "weeks"), 604_800),
}

# "9", "9am", "9:30", "9.30pm", "17:00", "17:00:05", "noon", "midnight".
_CLOCK = (
    r"(?:noon|midnight"
    r"|(?:0?[1-9]|1[0-2])(?:[:.][0-5]\d)?\s*(?:am|pm|a\.m\.|p\.m\.)"
    r"|(?:[01]?\d|2[0-3])(?:[:.][0-5]\d(?::[0-5]\d)?)?)"
)
# Times that cannot be mistaken for a day number: they have a colon, am/pm or a word.
_EXPLICIT_CLOCK = (
    r"(?:noon|midnight"
    r"|(?:0?[1-9]|1[0-2])(?:[:.][0-5]\d)?\s*(?:am|pm|a\.m\.|p\.m\.)"
    r"|(?:[01]?\d|2[0-3])[:.][0-5]\d(?::[0-5]\d)?)"
)
_CLOCK_PARTS = re.compile(
    r"(?P<hour>\d{1,2})(?:[:.](?P<minute>\d{2})(?::(?P<second>\d{2}))?)?\s*(?P<meridiem>[ap])?"
)
# Ways to attach a time to a day phrase, tried in order: "<day> at <t>", "at <t> <day>",
# "<day> <explicit t>", "<explicit t> <day>".
_TIME_SPLITS = (
    re.compile(rf"(?:(?P<day>.+?)\s+)?at\s+(?P<time>{_CLOCK})"),
    re.compile(rf"at\s+(?P<time>{_CLOCK})\s+(?P<day>.+)"),
    re.compile(rf"(?:(?P<day>.+?)\s+)?(?P<time>{_EXPLICIT_CLOCK})"),
    re.compile(rf"(?P<time>{_EXPLICIT_CLOCK})\s+(?P<day>.+)"),
)


@dataclass(frozen=True)
class Clock:
    """A parsed time of day; ``meridiem`` says whether am/pm (or a word) was given."""

    value: time
    meridiem: bool


def parse_clock(text: str) -> Clock | None:
    """Parse one time of day, or None if ``text`` is not one."""
    if re.fullmatch(_CLOCK, text) is None:
        return None
    if text == "noon":
        return Clock(time(12), meridiem=True)
    if text == "midnight":
        return Clock(time(0), meridiem=True)
    parts = _CLOCK_PARTS.match(text)
    assert parts is not None  # guaranteed by the _CLOCK match above
    hour = int(parts["hour"])
    if parts["meridiem"]:
        hour = hour % 12 + (12 if parts["meridiem"] == "p" else 0)  # 12am = 0h, 12pm = 12h
    minute, second = int(parts["minute"] or 0), int(parts["second"] or 0)
    return Clock(time(hour, minute, second), meridiem=parts["meridiem"] is not None)


def split_time(text: str) -> tuple[str, Clock | None]:
    """Split "<day words> at <time>" (in any supported order) into day words and time."""
    for pattern in _TIME_SPLITS:
        match = pattern.fullmatch(text)
        if match is not None:
            clock = parse_clock(match["time"])
            if clock is not None:
                return (match["day"] or "").strip(), clock
    return text, None


def format_clock(value: time) -> str:
    return value.strftime("%H:%M:%S" if value.second else "%H:%M")


def parse_weekday(word: str) -> int | None:
    """'monday', 'mon', 'mondays' -> 0."""
    if word in WEEKDAYS:
        return WEEKDAYS[word]
    if word.endswith("s") and word[:-1] in WEEKDAYS:
        return WEEKDAYS[word[:-1]]
    return None


def _day_range(first: int, last: int) -> set[int]:
    # Ranges may wrap around the week: "fri-mon" = Fri, Sat, Sun, Mon.
    return {(first + offset) % 7 for offset in range((last - first) % 7 + 1)}


def parse_days(text: str) -> frozenset[int] | None:
    """'weekday', 'mon, wed and fri', 'monday to friday', 'weekends' -> weekday numbers."""
    days: set[int] = set()
    for item in re.split(r"\s*(?:,|&|\+|\band\b)\s*", text):
        item = item.strip()
        group = DAY_GROUPS.get(item[:-1] if item.endswith("s") else item)
        span = re.fullmatch(r"([a-z]+)\s*(?:-|to|through|thru|until)\s*([a-z]+)", item)
        if group is not None:
            days |= group
        elif span is not None:
            first, last = parse_weekday(span[1]), parse_weekday(span[2])
            if first is None or last is None:
                return None
            days |= _day_range(first, last)
        elif (day := parse_weekday(item)) is not None:
            days.add(day)
        else:
            return None
    return frozenset(days) if days else None


def parse_month_day(text: str) -> tuple[int, int] | None:
    """'12-25', 'december 25', 'dec 25th', '25 december', 'the 25th of december'."""
    numeric = re.fullmatch(r"(\d{1,2})-(\d{1,2})", text)
    named_first = re.fullmatch(r"([a-z]+)\.?\s+(?:the\s+)?(\d{1,2})(?:st|nd|rd|th)?", text)
    day_first = re.fullmatch(r"(?:the\s+)?(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?([a-z]+)", text)
    if numeric is not None:
        month, day = int(numeric[1]), int(numeric[2])
    elif named_first is not None and named_first[1] in MONTHS:
        month, day = MONTHS[named_first[1]], int(named_first[2])
    elif day_first is not None and day_first[2] in MONTHS:
        month, day = MONTHS[day_first[2]], int(day_first[1])
    else:
        return None
    if not 1 <= month <= 12 or not 1 <= day <= calendar.monthrange(2000, month)[1]:
        return None  # 2000 is a leap year, so February 29 is accepted
    return month, day


def parse_month_day_number(text: str) -> int | None:
    """'the 1st', '15th', 'day 15', 'the last day' -> 1..31, or -1 for the last day."""
    if re.fullmatch(r"(?:the\s+)?last(?:\s+day)?(?:\s+of\s+the\s+month)?", text):
        return -1
    match = re.fullmatch(r"(?:the\s+|day\s+)?(\d{1,2})(?:st|nd|rd|th)?(?:\s+day)?", text)
    if match is None or not 1 <= int(match[1]) <= 31:
        return None
    return int(match[1])


def ordinal(number: int) -> str:
    suffix = (
        "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    )
    return f"{number}{suffix}"


def describe_days(days: frozenset[int]) -> str:
    """{0..4} -> 'Monday to Friday'; {0, 3} -> 'Monday and Thursday'."""
    if days == DAY_GROUPS["day"]:
        return "every day"
    ordered = sorted(days)
    if len(ordered) >= 3 and ordered == list(range(ordered[0], ordered[-1] + 1)):
        return f"{DAY_NAMES[ordered[0]]} to {DAY_NAMES[ordered[-1]]}"
    names = [DAY_NAMES[day] for day in ordered]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
