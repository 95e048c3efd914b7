"""The rest of the public API: durations, zones, instants, stored forms, errors."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from personal_assistant.errors import BadInput
from personal_assistant.schedule_text import (
    Schedule,
    ScheduleError,
    parse_duration,
    parse_instant,
    parse_schedule,
    parse_timezone,
    schedule_from_normalized,
)
from personal_assistant.schedule_text.errors import DURATION_EXAMPLES, INSTANT_EXAMPLES

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10m", timedelta(minutes=10)),
        ("30s", timedelta(seconds=30)),
        ("2h", timedelta(hours=2)),
        ("3d", timedelta(days=3)),
        ("1w", timedelta(weeks=1)),
        ("1h30m", timedelta(minutes=90)),
        ("90 minutes", timedelta(minutes=90)),
        (" 1 Hour and 30 Minutes ", timedelta(minutes=90)),
        ("2 hours, 5 minutes", timedelta(minutes=125)),
        ("an hour", timedelta(hours=1)),
        ("45 secs", timedelta(seconds=45)),
    ],
)
def test_parse_duration(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "10", "m", "ten minutes", "0s", "-5m", "1.5h", "10 parsecs"])
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(ScheduleError) as caught:
        parse_duration(text)
    message = str(caught.value)
    assert "\n" not in message and repr(text.strip()) in message
    assert all(repr(example) in message for example in DURATION_EXAMPLES)


def test_parse_timezone() -> None:
    assert parse_timezone("Europe/Paris").key == "Europe/Paris"
    assert parse_timezone(" europe/paris ").key == "Europe/Paris"
    assert parse_timezone("utc").key == "UTC"
    with pytest.raises(ScheduleError) as caught:
        parse_timezone("Mars/Base")
    assert str(caught.value) == (
        "unknown timezone 'Mars/Base': use an IANA name such as 'Europe/Paris' or 'UTC'"
    )


@pytest.mark.parametrize("name", ["Mars/Base", "", "localtime", "../etc/passwd", "Europe"])
def test_unknown_zones_are_rejected_everywhere(name: str) -> None:
    with pytest.raises(ScheduleError, match="unknown timezone"):
        parse_schedule("daily", tz=name)
    with pytest.raises(ScheduleError, match="unknown timezone"):
        schedule_from_normalized("cron", "0 0 * * *", name)


def test_unknown_zone_in_text() -> None:
    with pytest.raises(ScheduleError, match="unknown timezone 'Mars/Base'"):
        parse_schedule("every day at 9 Mars/Base")


def test_parse_instant() -> None:
    assert parse_instant("10m", now=NOW) == NOW + timedelta(minutes=10)
    assert parse_instant("tomorrow at 2pm", tz="Europe/Paris", now=NOW) == datetime(
        2026, 11, 24, 13, tzinfo=UTC
    )
    found = parse_instant("2026-12-24T18:00:00+01:00")
    assert found == datetime(2026, 12, 24, 17, tzinfo=UTC) and found.tzinfo is UTC
    # A literal past date is returned as is (the caller decides what to do with it).
    assert parse_instant("2020-01-01T00:00Z", now=NOW) == datetime(2020, 1, 1, tzinfo=UTC)


def test_parse_instant_defaults_to_the_current_time() -> None:
    before = datetime.now(UTC)
    found = parse_instant("in 10 minutes")
    assert before + timedelta(minutes=10) <= found <= datetime.now(UTC) + timedelta(minutes=10)


@pytest.mark.parametrize("text", ["every day at 9am", "0 9 * * *", "hourly", "blah", ""])
def test_parse_instant_rejects_recurring_and_junk(text: str) -> None:
    with pytest.raises(ScheduleError) as caught:
        parse_instant(text, now=NOW)
    message = str(caught.value)
    assert "\n" not in message and repr(text) in message
    assert all(repr(example) in message for example in INSTANT_EXAMPLES)


@pytest.mark.parametrize(
    "text",
    [
        "in 30 minutes",
        "2026-12-24T18:00",
        "every 15 minutes",
        "every weekday at 8:30",
        "30 0 9 * * 1-5",
        "every 2 weeks on tuesday at 7pm",
        "every 3 days at 2:30",
        "every year on feb 29",
        "every 2 months on the last day",
    ],
)
@pytest.mark.parametrize("tz", ["UTC", "Europe/Paris", "America/New_York"])
def test_stored_form_round_trips(text: str, tz: str) -> None:
    original = parse_schedule(text, tz=tz, now=NOW)
    rebuilt = schedule_from_normalized(original.kind, original.normalized, original.timezone)
    assert (rebuilt.kind, rebuilt.normalized, rebuilt.timezone) == (
        original.kind,
        original.normalized,
        original.timezone,
    )
    assert rebuilt.text == original.normalized
    assert rebuilt.describe() == original.describe()
    assert rebuilt.upcoming(NOW, 5) == original.upcoming(NOW, 5)
    # The stored form is itself accepted as input.
    again = parse_schedule(original.normalized, tz=tz, now=NOW)
    assert again.upcoming(NOW, 5) == original.upcoming(NOW, 5)


@pytest.mark.parametrize(
    ("kind", "normalized", "timezone"),
    [
        ("weekly", "0 0 * * 0", "UTC"),
        ("once", "not a date", "UTC"),
        ("once", "2026-12-24T18:00", "UTC"),  # stored instants carry an offset
        ("interval", "every 0s", "UTC"),
        ("interval", "15 minutes", "UTC"),
        ("cron", "0 0 31 2 *", "UTC"),
        ("cron", "every day", "UTC"),
        ("rrule", "DTSTART;TZID=Asia/Tokyo:20261124T090000\nRRULE:FREQ=DAILY", "Europe/Paris"),
        ("rrule", "RRULE:FREQ=DAILY", "UTC"),
    ],
)
def test_schedule_from_normalized_rejects(kind: str, normalized: str, timezone: str) -> None:
    with pytest.raises(ScheduleError) as caught:
        schedule_from_normalized(kind, normalized, timezone)
    assert "\n" not in str(caught.value)


def test_once_in_the_past_has_no_next_run() -> None:
    schedule = schedule_from_normalized("once", "2026-01-01T00:00:00Z", "UTC")
    assert schedule.next_after(NOW) is None
    assert schedule.upcoming(NOW, 3) == []
    assert schedule.upcoming(datetime(2025, 1, 1, tzinfo=UTC), 3) == [
        datetime(2026, 1, 1, tzinfo=UTC)
    ]
    assert not schedule.recurring


def test_rrule_end_and_utc_until() -> None:
    stored = (
        "DTSTART;TZID=Europe/Paris:20261124T090000\n"
        "RRULE:FREQ=DAILY;UNTIL=20261126T080000Z"  # 09:00 Paris on the 26th, in UTC
    )
    schedule = schedule_from_normalized("rrule", stored, "Europe/Paris")
    assert schedule.upcoming(NOW, 10) == [
        datetime(2026, 11, day, 8, tzinfo=UTC) for day in (24, 25, 26)
    ]
    counted = schedule_from_normalized(
        "rrule", "DTSTART:20261124T090000\nRRULE:FREQ=DAILY;COUNT=2", "UTC"
    )
    assert len(counted.upcoming(NOW, 10)) == 2
    assert counted.next_after(datetime(2027, 1, 1, tzinfo=UTC)) is None


def test_unusual_rules_still_describe() -> None:
    hourly_rrule = schedule_from_normalized(
        "rrule", "DTSTART:20261124T090000\nRRULE:FREQ=HOURLY;INTERVAL=5", "UTC"
    )
    assert hourly_rrule.describe() == ("RRULE:FREQ=HOURLY;INTERVAL=5 from 2026-11-24 09:00 (UTC)")
    assert parse_schedule("0 9 1-7 * 1").describe() == "cron '0 9 1-7 * 1' (UTC)"
    assert parse_schedule("15 * * * *").describe() == "every hour at minute 15 (UTC)"
    assert parse_schedule("every 24 hours").describe() == "every 24 hours"
    assert parse_schedule("every 2 days", now=NOW).describe() == (
        "at 09:00, every 2 days, starting 2026-11-24 (UTC)"
    )


def test_schedule_value_semantics() -> None:
    first = parse_schedule("every weekday at 8:30", tz="Europe/Paris", now=NOW)
    second = parse_schedule("every weekday at 8:30", tz="Europe/Paris", now=NOW)
    assert first == second and hash(first) == hash(second)
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.kind = "once"  # type: ignore[misc]
    assert [field.name for field in dataclasses.fields(Schedule)] == [
        "text",
        "kind",
        "normalized",
        "timezone",
    ]
    with pytest.raises(ScheduleError):
        Schedule(text="x", kind="cron", normalized="not cron", timezone="UTC")


def test_text_zone_wins_over_tz_argument() -> None:
    schedule = parse_schedule("daily at 9 in Asia/Tokyo", tz="Europe/Paris", now=NOW)
    assert schedule.timezone == "Asia/Tokyo"
    assert parse_schedule("daily", tz="europe/paris").timezone == "Europe/Paris"
    assert parse_schedule("daily").timezone == "UTC"


def test_next_after_needs_an_aware_datetime() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        parse_schedule("hourly").next_after(datetime(2026, 1, 1))


def test_next_after_accepts_any_aware_zone_and_returns_utc() -> None:
    schedule = parse_schedule("every day at 9am", tz="Europe/Paris")
    paris_time = datetime.fromisoformat("2026-11-23T11:00:00+01:00")
    found = schedule.next_after(paris_time)
    assert found == datetime(2026, 11, 24, 8, tzinfo=UTC) and found.tzinfo is UTC


def test_error_types() -> None:
    assert issubclass(ScheduleError, ValueError)
    assert issubclass(ScheduleError, BadInput)
    with pytest.raises(ValueError):
        parse_schedule("every blursday")


def test_tonight_already_past_is_an_error() -> None:
    late = datetime(2026, 11, 23, 22, 0, tzinfo=UTC)  # 23:00 in Paris
    with pytest.raises(ScheduleError, match="already past"):
        parse_schedule("tonight at 9", tz="Europe/Paris", now=late)
    assert parse_schedule("tomorrow", tz="Europe/Paris", now=late).next_after(late) == datetime(
        2026, 11, 24, 8, tzinfo=UTC
    )
