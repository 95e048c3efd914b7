"""DST: a nonexistent local time runs at the end of the gap, an ambiguous one at its first pass."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from personal_assistant.schedule_text import parse_instant, parse_schedule
from personal_assistant.schedule_text.timezones import resolve_local


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def runs_on(text: str, tz: str, day: str) -> list[datetime]:
    """All runs whose local date is ``day`` (looking from two days before)."""
    zone = ZoneInfo(tz)
    start = datetime.fromisoformat(day).replace(tzinfo=zone) - timedelta(days=2)
    runs = parse_schedule(text, tz=tz, now=start).upcoming(start, 40)
    return [run for run in runs if run.astimezone(zone).date().isoformat() == day]


# Spring forward: 02:00 -> 03:00 local, so 02:30 does not exist and runs at 03:00.
SPRING = [
    # (schedule, zone, change day, the single expected run that day)
    ("every day at 2:30", "Europe/Paris", "2026-03-29", utc(2026, 3, 29, 1, 0)),  # 03:00 CEST
    ("30 2 * * *", "Europe/Paris", "2026-03-29", utc(2026, 3, 29, 1, 0)),
    ("every 2 days at 2:30", "Europe/Paris", "2026-03-29", utc(2026, 3, 29, 1, 0)),
    ("every day at 2:30", "America/New_York", "2026-03-08", utc(2026, 3, 8, 7, 0)),  # 03:00 EDT
    ("30 2 * * *", "America/New_York", "2026-03-08", utc(2026, 3, 8, 7, 0)),
    ("every 2 days at 2:30", "America/New_York", "2026-03-08", utc(2026, 3, 8, 7, 0)),
]
# Fall back: the hour before the change repeats; the run happens on the first pass only.
FALL = [
    ("every day at 2:30", "Europe/Paris", "2026-10-25", utc(2026, 10, 25, 0, 30)),  # CEST
    ("30 2 * * *", "Europe/Paris", "2026-10-25", utc(2026, 10, 25, 0, 30)),
    ("every 2 days at 2:30", "Europe/Paris", "2026-10-25", utc(2026, 10, 25, 0, 30)),
    ("every day at 1:30", "America/New_York", "2026-11-01", utc(2026, 11, 1, 5, 30)),  # EDT
    ("30 1 * * *", "America/New_York", "2026-11-01", utc(2026, 11, 1, 5, 30)),
    ("every 2 days at 1:30", "America/New_York", "2026-11-01", utc(2026, 11, 1, 5, 30)),
]


@pytest.mark.parametrize(("text", "tz", "day", "expected"), SPRING + FALL)
def test_change_day_runs_exactly_once(text: str, tz: str, day: str, expected: datetime) -> None:
    assert runs_on(text, tz, day) == [expected]


@pytest.mark.parametrize(
    ("tz", "day_before", "gap_end", "next_day"),
    [
        ("Europe/Paris", utc(2026, 3, 28, 12), utc(2026, 3, 29, 1), utc(2026, 3, 30, 0, 30)),
        ("America/New_York", utc(2026, 3, 7, 12), utc(2026, 3, 8, 7), utc(2026, 3, 9, 6, 30)),
    ],
)
def test_gap_then_back_to_normal(
    tz: str, day_before: datetime, gap_end: datetime, next_day: datetime
) -> None:
    schedule = parse_schedule("every day at 2:30", tz=tz, now=day_before)
    assert schedule.upcoming(day_before, 2) == [gap_end, next_day]


def test_several_times_inside_one_gap_run_once() -> None:
    # 02:00, 02:15, 02:30 and 02:45 all fall in the Paris gap: one run at 03:00 CEST.
    schedule = parse_schedule("*/15 2 * * *", tz="Europe/Paris")
    after = utc(2026, 3, 28, 12)
    assert schedule.upcoming(after, 2) == [utc(2026, 3, 29, 1), utc(2026, 3, 30, 0)]


@pytest.mark.parametrize(
    ("tz", "between_passes", "next_run"),
    [
        # 01:00 UTC = 02:00 CET, during the second pass of 02:00-03:00 in Paris.
        ("Europe/Paris", utc(2026, 10, 25, 1, 0), utc(2026, 10, 26, 1, 30)),
        # 06:00 UTC = 01:00 EST, during the second pass of 01:00-02:00 in New York.
        ("America/New_York", utc(2026, 11, 1, 6, 0), utc(2026, 11, 2, 6, 30)),
    ],
)
def test_no_second_run_during_the_repeated_hour(
    tz: str, between_passes: datetime, next_run: datetime
) -> None:
    at = "2:30" if tz == "Europe/Paris" else "1:30"
    for text in (f"every day at {at}", f"every 2 days at {at}"):
        schedule = parse_schedule(text, tz=tz, now=between_passes - timedelta(days=1))
        found = schedule.next_after(between_passes)
        assert found is not None
        assert found >= next_run
        assert found.astimezone(ZoneInfo(tz)).strftime("%H:%M") == at.zfill(5)


def test_every_second_cron_skips_the_repeated_hour_quickly() -> None:
    schedule = parse_schedule("* * * * * *", tz="Europe/Paris")
    # Second pass of 02:00 CET: every wall time until 03:00 already ran on the first pass.
    assert schedule.next_after(utc(2026, 10, 25, 1, 0)) == utc(2026, 10, 25, 2, 0)
    # Just before the spring gap: 01:59:59 CET, then 03:00:00 CEST.
    assert schedule.upcoming(utc(2026, 3, 29, 0, 59, 58), 2) == [
        utc(2026, 3, 29, 0, 59, 59),
        utc(2026, 3, 29, 1, 0, 0),
    ]


@pytest.mark.parametrize("tz", ["Europe/Paris", "America/New_York"])
def test_intervals_are_elapsed_time_across_changes(tz: str) -> None:
    schedule = parse_schedule("every hour", tz=tz)
    for start in (utc(2026, 3, 28, 20), utc(2026, 10, 24, 20), utc(2026, 3, 7, 20)):
        runs = schedule.upcoming(start, 16)
        assert {later - earlier for earlier, later in pairwise(runs)} == {timedelta(hours=1)}


@pytest.mark.parametrize(
    ("text", "tz", "expected"),
    [
        ("2026-03-29T02:30", "Europe/Paris", utc(2026, 3, 29, 1, 0)),
        ("2026-10-25T02:30", "Europe/Paris", utc(2026, 10, 25, 0, 30)),
        ("2026-03-08T02:30", "America/New_York", utc(2026, 3, 8, 7, 0)),
        ("2026-11-01T01:30", "America/New_York", utc(2026, 11, 1, 5, 30)),
    ],
)
def test_iso_without_offset_follows_the_same_rules(text: str, tz: str, expected: datetime) -> None:
    assert parse_instant(text, tz=tz) == expected


def test_resolve_local_half_hour_gap() -> None:
    # Lord Howe moves from +10:30 to +11:00 at 02:00 local: 02:15 -> 02:30 (+11:00).
    zone = ZoneInfo("Australia/Lord_Howe")
    found = resolve_local(datetime(2026, 10, 4, 2, 15), zone)
    assert found.astimezone(zone).replace(tzinfo=None) == datetime(2026, 10, 4, 2, 30)
    assert found == utc(2026, 10, 3, 15, 30)


@pytest.mark.parametrize(
    ("tz", "second_pass", "expected"),
    [
        # 01:30 UTC = 02:30 CET (second pass); the next hourly run is 03:00 CET.
        ("Europe/Paris", utc(2026, 10, 25, 1, 30), utc(2026, 10, 25, 2, 0)),
        # 06:30 UTC = 01:30 EST (second pass); the next hourly run is 02:00 EST.
        ("America/New_York", utc(2026, 11, 1, 6, 30), utc(2026, 11, 1, 7, 0)),
    ],
)
def test_first_run_after_the_repeated_hour_is_not_skipped(
    tz: str, second_pass: datetime, expected: datetime
) -> None:
    hour = expected.astimezone(ZoneInfo(tz)).hour
    for text in ("0 * * * *", f"every day at {hour}:00", "every hour", "0 0 * * * *"):
        schedule = parse_schedule(text, tz=tz, now=second_pass)
        found = schedule.next_after(second_pass)
        if schedule.kind == "interval":
            assert found == second_pass + timedelta(minutes=30)  # elapsed time, not wall clock
        else:
            assert found == expected
