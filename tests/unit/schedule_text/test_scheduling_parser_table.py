"""Table-driven parser tests with a fixed "now": Monday 2026-11-23 10:00 UTC (11:00 Paris)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from personal_assistant.schedule_text import ScheduleError, parse_schedule
from personal_assistant.schedule_text.errors import SCHEDULE_EXAMPLES

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
PARIS, NEW_YORK = "Europe/Paris", "America/New_York"
BIWEEKLY = (
    "DTSTART;TZID=Europe/Paris:20261124T090000\nRRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=TU;WKST=MO"
)

# (text, tz, kind, normalized or None, first run after NOW in UTC, describe or None)
VALID: list[tuple[str, str | None, str, str | None, str, str | None]] = [
    # relative one-time
    ("in 30 minutes", PARIS, "once", "2026-11-23T10:30:00Z", "2026-11-23T10:30", None),
    ("in 2 hours", PARIS, "once", None, "2026-11-23T12:00", None),
    ("in 3 days", PARIS, "once", None, "2026-11-26T10:00", None),
    ("in 90 seconds", PARIS, "once", None, "2026-11-23T10:01:30", None),
    ("in 1 week", PARIS, "once", None, "2026-11-30T10:00", None),
    ("10m", PARIS, "once", None, "2026-11-23T10:10", None),
    ("2h", PARIS, "once", None, "2026-11-23T12:00", None),
    ("30s", PARIS, "once", None, "2026-11-23T10:00:30", None),
    ("1d", PARIS, "once", None, "2026-11-24T10:00", None),
    ("in 10m", PARIS, "once", None, "2026-11-23T10:10", None),
    ("1h30m", None, "once", None, "2026-11-23T11:30", None),
    ("in an hour", None, "once", None, "2026-11-23T11:00", None),
    ("IN 45 MINUTES", None, "once", None, "2026-11-23T10:45", None),
    ("in 1 hour and 15 minutes", None, "once", None, "2026-11-23T11:15", None),
    # day phrases (09:00 default)
    ("  tomorrow  ", PARIS, "once", "2026-11-24T08:00:00Z", "2026-11-24T08:00", None),
    ("tomorrow at 2pm", PARIS, "once", None, "2026-11-24T13:00", None),
    ("tomorrow at 14:30", PARIS, "once", None, "2026-11-24T13:30", None),
    ("Tomorrow 2PM", PARIS, "once", None, "2026-11-24T13:00", None),
    ("at 2pm tomorrow", PARIS, "once", None, "2026-11-24T13:00", None),
    ("tonight at 9", PARIS, "once", None, "2026-11-23T20:00", None),
    ("tonight", PARIS, "once", None, "2026-11-23T20:00", None),
    ("tonight at 10:30pm", PARIS, "once", None, "2026-11-23T21:30", None),
    ("today at 5pm", PARIS, "once", None, "2026-11-23T16:00", None),
    ("next week", PARIS, "once", None, "2026-11-30T08:00", None),
    ("next monday at 9am", PARIS, "once", None, "2026-11-30T08:00", None),
    ("next friday", PARIS, "once", None, "2026-11-27T08:00", None),
    ("on friday at 17:00", PARIS, "once", None, "2026-11-27T16:00", None),
    ("friday 5pm", PARIS, "once", None, "2026-11-27T16:00", None),
    ("on monday at 15:00", PARIS, "once", None, "2026-11-23T14:00", None),
    ("monday", PARIS, "once", None, "2026-11-30T08:00", None),
    ("on 2026-12-24 at 18:00", PARIS, "once", None, "2026-12-24T17:00", None),
    ("on december 24", PARIS, "once", None, "2026-12-24T08:00", None),
    ("at 17:30", PARIS, "once", None, "2026-11-23T16:30", None),
    ("at 9", PARIS, "once", None, "2026-11-24T08:00", None),
    ("noon", PARIS, "once", None, "2026-11-23T11:00", None),
    ("midnight", PARIS, "once", None, "2026-11-23T23:00", None),
    ("at 12am", PARIS, "once", None, "2026-11-23T23:00", None),
    ("at 12pm", PARIS, "once", None, "2026-11-23T11:00", None),
    ("9.30pm", PARIS, "once", None, "2026-11-23T20:30", None),
    ("tomorrow at 9am America/New_York", PARIS, "once", None, "2026-11-24T14:00", None),
    ("at 6am in America/New_York", None, "once", None, "2026-11-23T11:00", None),
    # ISO 8601
    ("2026-12-24T18:00", PARIS, "once", "2026-12-24T17:00:00Z", "2026-12-24T17:00", None),
    ("2026-12-24 18:00:00+01:00", None, "once", None, "2026-12-24T17:00", None),
    ("2026-12-24T17:00Z", PARIS, "once", None, "2026-12-24T17:00", None),
    ("2026-12-24", PARIS, "once", None, "2026-12-23T23:00", None),
    ("2026-12-24 18:00 UTC", PARIS, "once", None, "2026-12-24T18:00", "once at 2026-12-24 18:00 (UTC)"),
    ("2026-12-24T18:00", NEW_YORK, "once", None, "2026-12-24T23:00", "once at 2026-12-24 18:00 (America/New_York)"),
    # intervals, anchored at the Unix epoch
    ("every 15 minutes", PARIS, "interval", "every 900s", "2026-11-23T10:15", "every 15 minutes"),
    ("every 2 hours", PARIS, "interval", "every 7200s", "2026-11-23T12:00", "every 2 hours"),
    ("every hour", PARIS, "interval", "every 3600s", "2026-11-23T11:00", "every hour"),
    ("hourly", None, "interval", "every 3600s", "2026-11-23T11:00", "every hour"),
    ("every minute", None, "interval", "every 60s", "2026-11-23T10:01", "every minute"),
    ("every 30 seconds", None, "interval", "every 30s", "2026-11-23T10:00:30", "every 30 seconds"),
    ("every 90 minutes", None, "interval", "every 5400s", "2026-11-23T10:30", "every 90 minutes"),
    ("every 7 minutes", None, "interval", "every 420s", "2026-11-23T10:03", "every 7 minutes"),
    ("every 15m", None, "interval", "every 900s", "2026-11-23T10:15", "every 15 minutes"),
    ("every 900s", None, "interval", "every 900s", "2026-11-23T10:15", "every 15 minutes"),
    # daily / weekly / monthly / yearly phrases -> cron
    ("every day at 9am", PARIS, "cron", "0 9 * * *", "2026-11-24T08:00", "at 09:00, every day (Europe/Paris)"),
    ("daily at 07:15", PARIS, "cron", "15 7 * * *", "2026-11-24T06:15", None),
    # The bare words agree with "every day" and friends: 09:00 by default.
    ("daily", PARIS, "cron", "0 9 * * *", "2026-11-24T08:00", "at 09:00, every day (Europe/Paris)"),
    ("weekly", PARIS, "cron", "0 9 * * 2", "2026-11-24T08:00", None),
    ("monthly", PARIS, "cron", "0 9 1 * *", "2026-12-01T08:00", None),
    ("@daily", PARIS, "cron", "0 0 * * *", "2026-11-23T23:00", None),
    ("every morning", PARIS, "cron", "0 8 * * *", "2026-11-24T07:00", None),
    ("every evening", PARIS, "cron", "0 18 * * *", "2026-11-23T17:00", None),
    ("every weekday at 8:30", PARIS, "cron", "30 8 * * 1-5", "2026-11-24T07:30", "at 08:30, Monday to Friday (Europe/Paris)"),
    ("every weekend at 10", PARIS, "cron", "0 10 * * 0,6", "2026-11-28T09:00", "at 10:00, Saturday and Sunday (Europe/Paris)"),
    ("every weekday", PARIS, "cron", "0 9 * * 1-5", "2026-11-24T08:00", None),
    ("every monday and thursday at 18:00", PARIS, "cron", "0 18 * * 1,4", "2026-11-23T17:00", "at 18:00, Monday and Thursday (Europe/Paris)"),
    ("every mon, wed and fri at 7", PARIS, "cron", "0 7 * * 1,3,5", "2026-11-25T06:00", "at 07:00, Monday, Wednesday and Friday (Europe/Paris)"),
    ("every tuesday", PARIS, "cron", "0 9 * * 2", "2026-11-24T08:00", "at 09:00, Tuesday (Europe/Paris)"),
    ("every monday to friday at 8", PARIS, "cron", "0 8 * * 1-5", "2026-11-24T07:00", None),
    ("every month on the 1st at 9am", PARIS, "cron", "0 9 1 * *", "2026-12-01T08:00", "at 09:00, on the 1st of every month (Europe/Paris)"),
    ("monthly on the 15th", PARIS, "cron", "0 9 15 * *", "2026-12-15T08:00", None),
    ("every month on the last day", PARIS, "cron", "0 9 L * *", "2026-11-30T08:00", "at 09:00, on the last day of every month (Europe/Paris)"),
    ("every year on 12-25", PARIS, "cron", "0 9 25 12 *", "2026-12-25T08:00", None),
    ("every year on december 25 at 8am", PARIS, "cron", "0 8 25 12 *", "2026-12-25T07:00", "at 08:00, every year on December 25 (Europe/Paris)"),
    ("yearly", PARIS, "cron", "0 9 1 1 *", "2027-01-01T08:00", None),
    ("at 9am every day", PARIS, "cron", "0 9 * * *", "2026-11-24T08:00", None),
    ("EVERY WEEKDAY AT 8:30AM", PARIS, "cron", "30 8 * * 1-5", "2026-11-24T07:30", None),
    ("every day at 9:00:30", None, "cron", "30 0 9 * * *", "2026-11-24T09:00:30", "at 09:00:30, every day (UTC)"),
    # trailing zones: the zone in the text wins over tz=
    ("every day at 9am Europe/Paris", None, "cron", "0 9 * * *", "2026-11-24T08:00", None),
    ("every day at 9am UTC", PARIS, "cron", "0 9 * * *", "2026-11-24T09:00", "at 09:00, every day (UTC)"),
    ("every weekday at 8:30 in america/new_york", PARIS, "cron", "30 8 * * 1-5", "2026-11-23T13:30", "at 08:30, Monday to Friday (America/New_York)"),
    # intervals > 1 -> RRULE anchored on the first future matching date
    ("every 2 weeks on tuesday", PARIS, "rrule", BIWEEKLY, "2026-11-24T08:00", "at 09:00, every 2 weeks on Tuesday, starting 2026-11-24 (Europe/Paris)"),
    ("every 3 days at 10:00", PARIS, "rrule", None, "2026-11-24T09:00", "at 10:00, every 3 days, starting 2026-11-24 (Europe/Paris)"),
    ("every other day at 6pm", PARIS, "rrule", None, "2026-11-23T17:00", None),
    ("every 2 months on the 15th", PARIS, "rrule", None, "2026-12-15T08:00", None),
    (BIWEEKLY, PARIS, "rrule", BIWEEKLY, "2026-11-24T08:00", None),
    # cron expressions and aliases
    ("0 9 * * 1-5", PARIS, "cron", "0 9 * * 1-5", "2026-11-24T08:00", "at 09:00, Monday to Friday (Europe/Paris)"),
    ("30 0 9 * * 1-5", PARIS, "cron", "30 0 9 * * 1-5", "2026-11-24T08:00:30", None),
    ("0 9 * * mon-fri", PARIS, "cron", "0 9 * * MON-FRI", "2026-11-24T08:00", "at 09:00, Monday to Friday (Europe/Paris)"),
    ("*/5 * * * *", PARIS, "cron", "*/5 * * * *", "2026-11-23T10:05", "cron '*/5 * * * *' (Europe/Paris)"),
    ("0 12 L * *", None, "cron", "0 12 L * *", "2026-11-30T12:00", None),
    ("@hourly", PARIS, "cron", "0 * * * *", "2026-11-23T11:00", "every hour at minute 0 (Europe/Paris)"),
    ("@daily", PARIS, "cron", "0 0 * * *", "2026-11-23T23:00", None),
    ("@midnight", None, "cron", "0 0 * * *", "2026-11-24T00:00", None),
    ("@weekly", PARIS, "cron", "0 0 * * 0", "2026-11-28T23:00", "at 00:00, Sunday (Europe/Paris)"),
    ("@monthly", PARIS, "cron", "0 0 1 * *", "2026-11-30T23:00", None),
    ("@yearly", PARIS, "cron", "0 0 1 1 *", "2026-12-31T23:00", None),
    ("@annually", None, "cron", "0 0 1 1 *", "2027-01-01T00:00", None),
    ("0 9 * * 1-5 Europe/Paris", None, "cron", "0 9 * * 1-5", "2026-11-24T08:00", None),
]  # fmt: skip

INVALID: list[tuple[str, str | None]] = [
    ("every blursday", None),
    ("", None),
    ("   ", None),
    ("blah", None),
    ("every", None),
    ("every 0 minutes", None),
    ("every day at 25:00", None),
    ("every 15 minutes at 9am", None),
    ("every morning at 7", None),
    ("in 0 minutes", None),
    ("in -5 minutes", None),
    ("in 5 lightyears", None),
    ("tomorrow at 13pm", None),
    ("tonight at 9am", PARIS),
    ("today at 9am", PARIS),  # already past
    ("next blursday", None),
    ("9", None),
    ("at 24:00", None),
    ("0 0 30 2 *", None),
    ("61 * * * *", None),
    ("* * * *", None),
    ("0 0 * * * * *", None),
    ("H * * * *", None),
    ("R * * * *", None),
    ("@reboot", None),
    ("2026-13-01", None),
    ("2026-02-30T10:00", None),
    ("every month on the 32nd", None),
    ("every year on february 30", None),
    ("every 2 weeks on blursday", None),
    ("DTSTART:20261124T090000", None),
    ("RRULE:FREQ=DAILY", None),
    ("DTSTART;TZID=Asia/Tokyo:20261124T090000\nRRULE:FREQ=DAILY", PARIS),
    ("DTSTART;TZID=Europe/Paris:20261124T090000\nRRULE:FREQ=SOMETIMES", PARIS),
]


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_table_sizes() -> None:
    assert len(VALID) + len(INVALID) >= 80
    assert len(INVALID) >= 20


@pytest.mark.parametrize(("text", "tz", "kind", "normalized", "first", "described"), VALID)
def test_valid(
    text: str, tz: str | None, kind: str, normalized: str | None, first: str, described: str | None
) -> None:
    schedule = parse_schedule(text, tz=tz, now=NOW)
    assert schedule.kind == kind
    assert schedule.recurring is (kind != "once")
    assert schedule.text == text.strip()
    if normalized is not None:
        assert schedule.normalized == normalized
    assert schedule.next_after(NOW) == _utc(first)
    if described is not None:
        assert schedule.describe() == described


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("mondays at 9", "every monday at 9"),
        ("weekdays at 9", "every weekday at 9"),
        ("on tuesdays and fridays at 18:00", "every tuesday and friday at 18:00"),
        ("weekends", "every weekend"),
    ],
)
def test_plural_days_without_every_are_refused_with_the_recurring_form(
    text: str, hint: str
) -> None:
    with pytest.raises(ScheduleError, match=f"did you mean '{hint}'"):
        parse_schedule(text, now=NOW)
    assert parse_schedule(hint, now=NOW).recurring


@pytest.mark.parametrize(("text", "tz"), INVALID)
def test_invalid(text: str, tz: str | None) -> None:
    with pytest.raises(ScheduleError) as caught:
        parse_schedule(text, tz=tz, now=NOW)
    message = str(caught.value)
    assert "\n" not in message
    assert repr(text.strip()) in message
    assert message.startswith("could not understand ")
    assert sum(repr(example) in message for example in SCHEDULE_EXAMPLES) >= 3
