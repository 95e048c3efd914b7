"""Property tests: runs strictly increase, each run matches the rule, and none is skipped.

The rule check re-derives each run independently of the library's resolver: a local
time that exists runs on its first pass (fold=0); a nonexistent one runs at the first
instant whose wall clock has reached it (found here by scanning minute by minute).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from croniter import croniter
from dateutil.rrule import rrule
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from personal_assistant.schedule_text import Schedule, ScheduleError, parse_schedule
from personal_assistant.schedule_text.cron import CronRule
from personal_assistant.schedule_text.intervals import EPOCH, IntervalRule
from personal_assistant.schedule_text.phrases import DAY_NAMES
from personal_assistant.schedule_text.recurrence import RRuleRule

ZONES = [
    "UTC",
    "Europe/Paris",
    "America/New_York",
    "Australia/Lord_Howe",  # 30-minute DST shift
    "America/Santiago",  # changes at midnight
    "Asia/Kolkata",  # +05:30, no DST
]
PROFILE = settings(
    max_examples=150,
    deadline=None,
    database=None,  # no .hypothesis directory in the repository
    suppress_health_check=[HealthCheck.too_slow],
)
COUNT = 6


def _changes(name: str) -> list[datetime]:
    """The zone's UTC-offset changes in 2025-2027 (to the hour), to aim tests at DST."""
    zone, moment, found = ZoneInfo(name), datetime(2025, 1, 1, tzinfo=UTC), []
    while moment.year < 2028:
        if (moment + timedelta(hours=1)).astimezone(zone).utcoffset() != moment.astimezone(
            zone
        ).utcoffset():
            found.append(moment)
        moment += timedelta(hours=1)
    return found


CHANGES = {name: _changes(name) for name in ZONES}
anywhere = st.datetimes(datetime(2020, 1, 1), datetime(2035, 12, 31), timezones=st.just(UTC))


def _near_changes(name: str) -> st.SearchStrategy[tuple[str, datetime]]:
    """Mostly instants within a day of one of the zone's DST changes."""
    near = st.builds(
        lambda change, seconds: change + timedelta(seconds=seconds),
        st.sampled_from(CHANGES[name] or [datetime(2026, 6, 1, tzinfo=UTC)]),
        st.integers(-26 * 3600, 26 * 3600),
    )
    return st.tuples(st.just(name), st.one_of(near, near, near, anywhere))


zones_and_afters = st.sampled_from(ZONES).flatmap(_near_changes)
cron_fields = st.tuples(
    st.sampled_from(["0", "30", "*/15", "5,35", "0-10/5", "*"]),
    st.sampled_from(["*", "0", "1", "2", "1,2,3", "*/6", "9-17", "23"]),
    st.sampled_from(["*", "*", "1", "15", "L", "*/10"]),
    st.sampled_from(["*", "*", "3", "10,11", "*/2"]),
    st.sampled_from(["*", "*", "1-5", "0,6", "MON", "SUN"]),
)
cron_texts = st.one_of(
    cron_fields.map(" ".join),
    st.tuples(st.sampled_from(["0", "30", "*/20"]), cron_fields).map(
        lambda parts: " ".join((parts[0], *parts[1]))
    ),
)
clock_times = st.tuples(st.integers(0, 23), st.sampled_from([0, 15, 30, 45]))
weekday_sets = st.sets(st.integers(0, 6), min_size=1, max_size=7)


def _prev_inclusive(step_back: Callable[[datetime], datetime | None], wall: datetime) -> datetime:
    found = step_back(wall + timedelta(microseconds=1))
    assert found is not None
    return found


def _expected_instant(naive: datetime, zone: ZoneInfo) -> datetime:
    """Where a naive local run lands, by brute force rather than by the library."""
    first = naive.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if first.astimezone(zone).replace(tzinfo=None) == naive:
        return first
    probe = naive.replace(tzinfo=zone, fold=1).astimezone(UTC).replace(second=0, microsecond=0)
    while probe.astimezone(zone).replace(tzinfo=None) < naive:
        probe += timedelta(minutes=1)
    return probe


def _check_wall_clock_runs(
    schedule: Schedule,
    after: datetime,
    zone: ZoneInfo,
    step_back: Callable[[datetime], datetime | None],
) -> list[datetime]:
    runs = schedule.upcoming(after, COUNT)
    previous = after
    for run in runs:
        assert run.tzinfo is UTC
        assert run > previous
        local = run.astimezone(zone)
        assert local.fold == 0  # never the second pass of a repeated hour
        # The naive match that produced this run: the wall time itself, or a match
        # inside the gap that ends at this instant.
        naive = _prev_inclusive(step_back, local.replace(tzinfo=None))
        assert _expected_instant(naive, zone) == run
        # Completeness: the match before it (skipping matches in the same gap, which
        # collapse into this run) ran at or before the previous run.
        earlier = step_back(naive)
        while earlier is not None and _expected_instant(earlier, zone) == run:
            earlier = step_back(earlier)
        if earlier is not None:
            assert _expected_instant(earlier, zone) <= previous
        previous = run
    return runs


def _cron_step_back(rule: CronRule) -> Callable[[datetime], datetime | None]:
    def step_back(moment: datetime) -> datetime | None:
        it = croniter(
            rule.expression, moment, ret_type=datetime, second_at_beginning=rule.with_seconds
        )
        found: datetime = it.get_prev()
        return found

    return step_back


def _rrule_step_back(rule: rrule) -> Callable[[datetime], datetime | None]:
    def step_back(moment: datetime) -> datetime | None:
        found: datetime | None = rule.before(moment, inc=False)
        return found

    return step_back


@PROFILE
@given(text=cron_texts, zone_and_after=zones_and_afters)
def test_cron_runs_increase_and_match(text: str, zone_and_after: tuple[str, datetime]) -> None:
    tz, after = zone_and_after
    schedule = parse_schedule(text, tz=tz, now=after)
    assert schedule.kind == "cron"
    rule = CronRule(schedule.normalized, ZoneInfo(tz))
    runs = _check_wall_clock_runs(schedule, after, ZoneInfo(tz), _cron_step_back(rule))
    assert len(runs) == COUNT


@PROFILE
@given(days=weekday_sets, at=clock_times, zone_and_after=zones_and_afters)
def test_weekday_phrases_run_on_those_days(
    days: set[int], at: tuple[int, int], zone_and_after: tuple[str, datetime]
) -> None:
    tz, after = zone_and_after
    names = ", ".join(DAY_NAMES[day].lower() for day in sorted(days))
    schedule = parse_schedule(f"every {names} at {at[0]}:{at[1]:02d}", tz=tz, now=after)
    zone = ZoneInfo(tz)
    rule = CronRule(schedule.normalized, zone)
    for run in _check_wall_clock_runs(schedule, after, zone, _cron_step_back(rule)):
        local = run.astimezone(zone)
        assert local.weekday() in days
        on_time = (local.hour, local.minute) == at
        shifted = (run - timedelta(seconds=1)).astimezone(zone).utcoffset() != local.utcoffset()
        assert on_time or shifted  # shifted: the time fell in a gap ending at this instant


@PROFILE
@given(
    unit=st.sampled_from(["days", "weeks", "months"]),
    count=st.integers(1, 5),
    at=clock_times,
    zone_and_after=zones_and_afters,
    earlier=st.integers(0, 3 * 365 * 24),
)
def test_rrule_runs_increase_and_match(
    unit: str, count: int, at: tuple[int, int], zone_and_after: tuple[str, datetime], earlier: int
) -> None:
    tz, after = zone_and_after
    now = after - timedelta(hours=earlier)  # created some time before ``after``
    schedule = parse_schedule(f"every {count} {unit} at {at[0]}:{at[1]:02d}", tz=tz, now=now)
    zone = ZoneInfo(tz)
    if schedule.kind == "cron":  # count == 1 compiles to cron
        step_back = _cron_step_back(CronRule(schedule.normalized, zone))
    else:
        assert schedule.kind == "rrule"
        step_back = _rrule_step_back(RRuleRule(schedule.normalized, zone).rule)
    runs = _check_wall_clock_runs(schedule, after, zone, step_back)
    assert len(runs) == COUNT
    first = schedule.next_after(now)
    assert first is not None and first - now <= timedelta(days=31 * count + 1)


@PROFILE
@given(
    seconds=st.integers(1, 3 * 86_400),
    zone_and_after=zones_and_afters,
)
def test_intervals_are_epoch_multiples(seconds: int, zone_and_after: tuple[str, datetime]) -> None:
    tz, after = zone_and_after
    schedule = parse_schedule(f"every {seconds} seconds", tz=tz, now=after)
    assert isinstance(schedule.normalized, str) and schedule.kind == "interval"
    period = IntervalRule(schedule.normalized).period
    runs = schedule.upcoming(after, COUNT)
    assert timedelta(0) < runs[0] - after <= period
    for earlier, later in pairwise(runs):
        assert later - earlier == period
    assert all((run - EPOCH) % period == timedelta(0) for run in runs)


@PROFILE
@given(text=cron_texts, zone_and_after=zones_and_afters)
def test_next_after_chains_like_upcoming(text: str, zone_and_after: tuple[str, datetime]) -> None:
    tz, after = zone_and_after
    schedule = parse_schedule(text, tz=tz, now=after)
    runs = schedule.upcoming(after, 3)
    # Asking from just before a run returns that run; from the run itself, the next one.
    for run, following in pairwise(runs):
        assert schedule.next_after(run - timedelta(microseconds=1)) == run
        assert schedule.next_after(run) == following


WORDS = [
    "every", "at", "in", "on", "the", "next", "tomorrow", "tonight", "monday", "fri",
    "weekday", "day", "days", "weeks", "month", "year", "other", "1st", "last", "december",
    "25", "9", "9am", "17:30", "noon", "0", "2", "99999999999", "minutes", "h", "and", ",",
    "*", "*/5", "@daily", "L", "2026-12-24", "Europe/Paris", "Mars/Base", "hourly", "feb",
    "29", "31", "32", "-", "to", "an", "DTSTART:20261124T090000", "RRULE:FREQ=DAILY",
]  # fmt: skip


@PROFILE
@given(
    text=st.one_of(
        st.text(max_size=40),
        st.lists(st.sampled_from(WORDS), min_size=1, max_size=7).map(" ".join),
    ),
    zone_and_after=zones_and_afters,
)
def test_any_text_parses_or_raises_one_line_error(
    text: str, zone_and_after: tuple[str, datetime]
) -> None:
    tz, now = zone_and_after
    try:
        schedule = parse_schedule(text, tz=tz, now=now)
    except ScheduleError as exc:
        assert "\n" not in str(exc) and "\r" not in str(exc)
        return
    runs = schedule.upcoming(now, 3)
    assert all(run.tzinfo is UTC for run in runs)
    assert runs == sorted(set(runs))
    assert schedule.describe()
