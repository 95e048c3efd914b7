"""A preview counts every kind of phrase from its --from instant, never from the clock."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from personal_assistant.schedules.service import preview

MONDAY = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # Monday 2026-11-23 08:00 UTC


def iso(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("in 30 minutes", ["2026-11-23T08:30:00"]),
        ("10m", ["2026-11-23T08:10:00"]),
        ("tomorrow at 2pm", ["2026-11-24T14:00:00"]),
        ("tomorrow", ["2026-11-24T09:00:00"]),
        ("today at 5pm", ["2026-11-23T17:00:00"]),
        ("tonight", ["2026-11-23T21:00:00"]),
        ("at 5pm", ["2026-11-23T17:00:00"]),
        ("at 7:00", ["2026-11-24T07:00:00"]),  # already past at 08:00: tomorrow
        ("noon", ["2026-11-23T12:00:00"]),
        ("next monday at 9am", ["2026-11-30T09:00:00"]),
        ("next week", ["2026-11-30T09:00:00"]),
        ("on friday at 17:00", ["2026-11-27T17:00:00"]),
        ("on december 24", ["2026-12-24T09:00:00"]),
        ("2026-12-24T18:00", ["2026-12-24T18:00:00"]),
        ("every 2 weeks on tuesday at 9am", ["2026-11-24T09:00:00", "2026-12-08T09:00:00"]),
        ("every 2 weeks", ["2026-11-23T09:00:00", "2026-12-07T09:00:00"]),
        ("every 2 months on the 15th", ["2026-12-15T09:00:00", "2027-02-15T09:00:00"]),
        ("every 3 days at 10:00", ["2026-11-23T10:00:00", "2026-11-26T10:00:00"]),
        ("every weekday at 8:30", ["2026-11-23T08:30:00", "2026-11-24T08:30:00"]),
        ("every 15 minutes", ["2026-11-23T08:00:00", "2026-11-23T08:15:00"]),
        ("0 12 * * *", ["2026-11-23T12:00:00", "2026-11-24T12:00:00"]),
    ],
)
def test_every_kind_of_phrase_counts_from_the_start(phrase: str, expected: list[str]) -> None:
    _, runs = preview(phrase, count=len(expected), timezone="UTC", start=MONDAY)
    assert runs == [iso(e) for e in expected]


def test_the_fortnight_example_starts_on_the_next_tuesday() -> None:
    """Created on Monday 2026-11-23, "every 2 weeks on tuesday at 9am" first runs the next
    day, then every two weeks from it; a week later it would start a week later."""
    rule, runs = preview("every 2 weeks on tuesday at 9am", count=3, timezone="UTC", start=MONDAY)
    assert runs == [
        iso("2026-11-24T09:00:00"),
        iso("2026-12-08T09:00:00"),
        iso("2026-12-22T09:00:00"),
    ]
    assert "starting 2026-11-24" in rule.describe()
    later = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    _, from_later = preview("every 2 weeks on tuesday at 9am", count=1, timezone="UTC", start=later)
    assert from_later == [iso("2026-12-01T09:00:00")]


def test_a_start_in_a_zone_reads_the_local_day() -> None:
    # 23:30 UTC on Monday is already Tuesday 00:30 in Paris: "tomorrow" is Wednesday there.
    late = datetime(2026, 11, 23, 23, 30, tzinfo=UTC)
    _, runs = preview("tomorrow at 9am", count=1, timezone="Europe/Paris", start=late)
    assert runs == [iso("2026-11-25T08:00:00")]
