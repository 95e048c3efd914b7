"""Fixed-period schedules ("every 15 minutes"): absolute elapsed time, not wall clock.

Runs fall on whole multiples of the period counted from 1970-01-01T00:00:00Z, so the
next run depends only on ``after`` (never on when the schedule was created) and DST
changes do not stretch or shrink any interval.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from personal_assistant.schedule_text.errors import Unrecognized
from personal_assistant.schedule_text.timezones import as_utc

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NORMALIZED = re.compile(r"every (\d+)s")
_UNITS = ((3600, "hour"), (60, "minute"), (1, "second"))
MAX_SECONDS = 366 * 86_400  # longer periods are surely a typo (and overflow timedelta)


def normalize_interval(seconds: int) -> str:
    if not 0 < seconds <= MAX_SECONDS:
        raise Unrecognized("the period must be between 1 second and 366 days")
    return f"every {seconds}s"


class IntervalRule:
    def __init__(self, normalized: str) -> None:
        match = _NORMALIZED.fullmatch(normalized.strip().lower())
        if match is None:
            raise Unrecognized("an interval is stored as 'every <seconds>s', e.g. 'every 900s'")
        self.seconds = int(match[1])
        self.normalized = normalize_interval(self.seconds)  # validates the range
        self.period = timedelta(seconds=self.seconds)

    def next_after(self, after: datetime) -> datetime | None:
        elapsed = as_utc(after) - EPOCH
        try:
            return EPOCH + (elapsed // self.period + 1) * self.period
        except OverflowError:
            return None  # past datetime's year 9999 limit

    def describe(self) -> str:
        # Hours at most: "every 24 hours" is honest where "every day" would suggest 09:00.
        for size, unit in _UNITS:
            if self.seconds % size == 0:
                count = self.seconds // size
                return f"every {unit}" if count == 1 else f"every {count} {unit}s"
        raise AssertionError("unreachable: every period is a whole number of seconds")
