"""The ``Schedule`` value: what the user wrote, how it is stored, and when it runs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from personal_assistant.schedule_text.errors import Unrecognized, not_understood
from personal_assistant.schedule_text.rules import Rule, ScheduleKind, compile_rule
from personal_assistant.schedule_text.timezones import as_utc, parse_timezone


@dataclass(frozen=True)
class Schedule:
    """A parsed schedule. Build it with ``parse_schedule`` or ``schedule_from_normalized``.

    ``normalized`` is the canonical stored form: an ISO 8601 UTC instant ("once"), a cron
    expression ("cron"), DTSTART + RRULE lines ("rrule") or "every <n>s" ("interval").
    """

    text: str
    kind: ScheduleKind
    normalized: str
    timezone: str = "UTC"

    def __post_init__(self) -> None:
        _ = self._rule  # validate eagerly so an invalid Schedule cannot exist

    @cached_property
    def _rule(self) -> Rule:
        # cached_property writes to __dict__ directly, which a frozen dataclass allows.
        zone = parse_timezone(self.timezone)
        try:
            return compile_rule(self.kind, self.normalized, zone)
        except Unrecognized as exc:
            raise not_understood(self.normalized, exc.reason) from None
        except OverflowError:
            raise not_understood(self.normalized, "date out of range") from None

    @property
    def recurring(self) -> bool:
        return self.kind != "once"

    def next_after(self, after: datetime) -> datetime | None:
        """First run strictly after ``after`` (aware), in UTC; None if there is none."""
        return self._rule.next_after(as_utc(after))

    def upcoming(self, after: datetime, count: int) -> list[datetime]:
        """The next ``count`` runs after ``after`` (fewer if the schedule ends)."""
        runs: list[datetime] = []
        cursor = after
        while len(runs) < count:
            found = self.next_after(cursor)
            if found is None:
                break
            runs.append(found)
            cursor = found
        return runs

    def describe(self) -> str:
        """In words, e.g. 'at 08:30, Monday to Friday (Europe/Paris)' or 'every 15 minutes'."""
        return self._rule.describe()
