"""Durations: '10m', '30s', '2h', '3d', '1w', '1h30m', '90 minutes', 'an hour and 30 minutes'."""

from __future__ import annotations

import re
from datetime import timedelta

from personal_assistant.schedule_text.errors import DURATION_EXAMPLES, not_understood
from personal_assistant.schedule_text.phrases import UNIT_SECONDS

_PART = r"(?:\d+\s*|an?\s+)[a-z]+"
_DURATION = re.compile(rf"{_PART}(?:\s*(?:,\s*|and\s+)?{_PART})*")
_PARTS = re.compile(r"(?:(?P<number>\d+)\s*|(?P<article>an?)\s+)(?P<unit>[a-z]+)")


def duration_seconds(text: str) -> int | None:
    """Total seconds of a lower-cased duration phrase, or None if it is not one."""
    if _DURATION.fullmatch(text) is None:
        return None
    total = 0
    for part in _PARTS.finditer(text):
        unit = UNIT_SECONDS.get(part["unit"])
        if unit is None:
            return None
        total += (int(part["number"]) if part["number"] else 1) * unit
    return total


def parse_duration(text: str) -> timedelta:
    """Parse a positive duration such as '10m', '1h30m' or '90 minutes'."""
    words = " ".join(text.strip().lower().split())
    seconds = duration_seconds(words)
    if seconds is None:
        raise not_understood(text.strip(), examples=DURATION_EXAMPLES)
    if seconds <= 0:
        raise not_understood(text.strip(), "a duration must be positive", DURATION_EXAMPLES)
    try:
        return timedelta(seconds=seconds)
    except OverflowError:
        raise not_understood(text.strip(), "too long", DURATION_EXAMPLES) from None
