"""Zone lookup and the local wall clock -> UTC rules shared by every schedule kind.

Rules (applied to every local time a schedule produces):

* a local time that does not exist (spring-forward gap) resolves to the end of the
  gap, i.e. the instant of the transition (02:30 on a Paris change day -> 03:00 CEST);
* an ambiguous local time (fall-back overlap) resolves to its first occurrence (fold=0).

Resolution is monotone in the naive wall time, which is what lets ``next_wall_clock_run``
walk naive candidates in order and stop at the first one past ``after``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from personal_assistant.schedule_text.errors import unknown_timezone

NextNaive = Callable[[datetime], datetime | None]
"""Given a naive local time, return the next naive local match strictly after it."""

_NOT_ZONES = frozenset({"localtime", "posixrules", "factory"})
_MAX_STEPS = 100_000  # far more than any gap/overlap can hold; guards against a runaway rule
_TINY = timedelta(microseconds=1)


@functools.cache
def _zone_keys() -> dict[str, str]:
    """Lower-cased zone name -> canonical IANA key, so 'europe/paris' works too."""
    return {key.lower(): key for key in available_timezones() if key.lower() not in _NOT_ZONES}


def canonical_zone_name(name: str) -> str | None:
    """The canonical IANA key for ``name`` (any case), or None if it is not a zone."""
    return _zone_keys().get(name.strip().lower())


def parse_timezone(name: str) -> ZoneInfo:
    """Return the IANA zone called ``name`` (case-insensitive) or raise ScheduleError."""
    key = canonical_zone_name(name)
    if key is None:
        raise unknown_timezone(name)
    try:
        return ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise unknown_timezone(name) from exc


def as_utc(moment: datetime) -> datetime:
    """Convert an aware datetime to UTC; naive input is a programming error."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"expected a timezone-aware datetime, got naive {moment.isoformat()}")
    return moment.astimezone(UTC)


def wall_clock(moment: datetime, zone: ZoneInfo) -> datetime:
    """The naive local wall time of an instant (the fold is dropped on purpose)."""
    return moment.astimezone(zone).replace(tzinfo=None, fold=0)


def _first_instant_with_offset(lo: datetime, hi: datetime, zone: ZoneInfo) -> datetime:
    """Binary-search the zone transition in (lo, hi]: first instant with hi's UTC offset."""
    target = hi.astimezone(zone).utcoffset()
    while hi - lo > _TINY:
        mid = lo + (hi - lo) / 2
        if mid.astimezone(zone).utcoffset() == target:
            hi = mid
        else:
            lo = mid
    return hi


def resolve_local(naive: datetime, zone: ZoneInfo) -> datetime:
    """Map a naive local wall time to a UTC instant (gap -> end of gap, overlap -> fold=0)."""
    first = naive.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if wall_clock(first, zone) == naive:
        return first  # exists; for an ambiguous time fold=0 is the first occurrence
    # Nonexistent: fold=0 uses the pre-transition offset and lands after the gap, fold=1
    # the post-transition offset and lands before it; the transition lies in between.
    before_gap = naive.replace(tzinfo=zone, fold=1).astimezone(UTC)
    lo, hi = sorted((before_gap, first))
    return _first_instant_with_offset(lo, hi, zone)


def _overlap_end(local_after: datetime, zone: ZoneInfo) -> datetime | None:
    """If ``local_after`` is the second pass of a repeated hour, the wall time it ends at."""
    if not local_after.fold:
        return None
    first_pass = local_after.replace(fold=0).astimezone(UTC)
    second_pass = local_after.astimezone(UTC)
    if first_pass >= second_pass:
        return None
    transition = _first_instant_with_offset(first_pass, second_pass, zone)
    # Wall clock just before the transition, i.e. the end of the repeated range.
    return wall_clock(transition - _TINY, zone) + _TINY


def next_wall_clock_run(after: datetime, zone: ZoneInfo, next_naive: NextNaive) -> datetime | None:
    """First instant strictly after ``after`` produced by a rule over naive local times."""
    after_utc = as_utc(after)
    local_after = after_utc.astimezone(zone)
    cursor = local_after.replace(tzinfo=None, fold=0)
    overlap_end = _overlap_end(local_after, zone)
    if overlap_end is not None:
        # Naive times before the end of the repeated hour resolve to its first pass,
        # which is already behind us: skip them in one step.
        cursor = max(cursor, overlap_end - _TINY)
    for _ in range(_MAX_STEPS):
        candidate = next_naive(cursor)
        if candidate is None:
            return None
        try:
            instant = resolve_local(candidate, zone)
        except OverflowError:
            return None  # the local time has no UTC instant before year 9999 ends
        if instant > after_utc:
            return instant
        # Every naive time up to the wall clock of ``instant`` resolves to <= instant
        # (this skips the rest of a DST gap at once).
        cursor = max(candidate, wall_clock(instant, zone))
    raise RuntimeError(f"no run found after {after_utc.isoformat()} within {_MAX_STEPS} steps")
