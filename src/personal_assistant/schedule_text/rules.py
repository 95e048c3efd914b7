"""Compile a stored (kind, normalized, zone) triple into an object that computes runs."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal, Protocol
from zoneinfo import ZoneInfo

from personal_assistant.schedule_text.cron import CronRule
from personal_assistant.schedule_text.errors import Unrecognized
from personal_assistant.schedule_text.intervals import IntervalRule
from personal_assistant.schedule_text.phrases import format_clock
from personal_assistant.schedule_text.recurrence import RRuleRule
from personal_assistant.schedule_text.timezones import as_utc

ScheduleKind = Literal["once", "cron", "rrule", "interval"]
KINDS: tuple[ScheduleKind, ...] = ("once", "cron", "rrule", "interval")


class Rule(Protocol):
    def next_after(self, after: datetime) -> datetime | None: ...

    def describe(self) -> str: ...


def format_instant(instant: datetime) -> str:
    """Stored form of a one-time run: ISO 8601 in UTC with a 'Z' suffix."""
    return as_utc(instant).isoformat().replace("+00:00", "Z")


class OnceRule:
    def __init__(self, normalized: str, zone: ZoneInfo) -> None:
        try:
            parsed = datetime.fromisoformat(normalized.strip().upper())
        except ValueError:
            raise Unrecognized("a one-time run is stored as an ISO 8601 UTC instant") from None
        if parsed.tzinfo is None:
            raise Unrecognized("a stored one-time run needs a UTC offset, e.g. 'Z'")
        self.instant = parsed.astimezone(UTC)
        self.zone = zone

    def next_after(self, after: datetime) -> datetime | None:
        return self.instant if self.instant > as_utc(after) else None

    def describe(self) -> str:
        local = self.instant.astimezone(self.zone)
        return f"once at {local:%Y-%m-%d} {format_clock(local.time())} ({self.zone.key})"


def compile_rule(kind: str, normalized: str, zone: ZoneInfo) -> Rule:
    """Build the rule for a stored schedule; raises Unrecognized if it is not valid."""
    if kind == "once":
        return OnceRule(normalized, zone)
    if kind == "interval":
        return IntervalRule(normalized)
    if kind == "cron":
        return CronRule(normalized, zone)
    if kind == "rrule":
        return RRuleRule(normalized, zone)
    raise Unrecognized(f"unknown schedule kind {kind!r}, expected one of {', '.join(KINDS)}")
