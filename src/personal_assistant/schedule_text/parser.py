"""Entry points: text -> Schedule, stored triple -> Schedule, text -> instant."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from personal_assistant.schedule_text.cron import looks_like_cron, normalize_cron
from personal_assistant.schedule_text.errors import (
    INSTANT_EXAMPLES,
    SCHEDULE_EXAMPLES,
    ScheduleError,
    Unrecognized,
    not_understood,
    unknown_timezone,
)
from personal_assistant.schedule_text.onetime import parse_one_time
from personal_assistant.schedule_text.recurrence import RRuleRule
from personal_assistant.schedule_text.recurring import parse_recurring
from personal_assistant.schedule_text.rules import KINDS, OnceRule, ScheduleKind, format_instant
from personal_assistant.schedule_text.timezones import as_utc, canonical_zone_name, parse_timezone
from personal_assistant.schedule_text.types import Schedule

# A trailing "Area/Location" token; the first segment has letters only, so cron fields
# such as "*/5" or "mon-fri/2" are never taken for a zone.
_ZONE_LIKE = re.compile(r"[A-Za-z]+(?:_[A-Za-z]+)*(?:/[A-Za-z0-9_+\-]+)+")
_LAST_TOKEN = re.compile(r"(?s)(?P<rest>.*\S)\s+(?P<token>\S+)")
_IN = re.compile(r"(?s)(?P<rest>.*\S)\s+in")


# "mondays", "weekdays", "weekends": a plural day reads as recurring, but without "every"
# it is not one; it is refused with the recurring form as the hint, never run once.
_PLURAL_DAY = re.compile(r"\b(?P<day>(?:mon|tues|wednes|thurs|fri|satur|sun|week)day|weekend)s\b")


def _plural_days_hint(words: str) -> str | None:
    """For 'mondays at 9' (no 'every'), the reason with the recurring form as a hint."""
    if words.startswith(("every ", "each ")) or _PLURAL_DAY.search(words) is None:
        return None
    singular = _PLURAL_DAY.sub(lambda m: m["day"], words.removeprefix("on "))
    return f"did you mean 'every {singular}'?"


def _split_zone(text: str) -> tuple[str, str | None]:
    """'every day at 9am in Europe/Paris' -> ('every day at 9am', 'Europe/Paris')."""
    match = _LAST_TOKEN.fullmatch(text)
    if match is None:
        return text, None
    zone = canonical_zone_name(match["token"])
    if zone is None:
        if _ZONE_LIKE.fullmatch(match["token"]):
            raise unknown_timezone(match["token"])
        return text, None
    rest = match["rest"]
    if (with_in := _IN.fullmatch(rest)) is not None:
        rest = with_in["rest"]
    return rest, zone


def _zone_name(tz: str | None) -> str:
    return "UTC" if tz is None else parse_timezone(tz).key


def _compile(text: str, zone_name: str, now: datetime) -> tuple[ScheduleKind, str]:
    """(kind, normalized) for the text, trying each grammar in a fixed order."""
    zone = parse_timezone(zone_name)
    upper = text.upper()
    if upper.startswith(("DTSTART", "RRULE:")):
        return "rrule", RRuleRule(text, zone).normalized
    words = " ".join(text.lower().split())
    if looks_like_cron(words):
        return "cron", normalize_cron(words)
    recurring = parse_recurring(words, now, zone)
    if recurring is not None:
        return recurring
    if (hint := _plural_days_hint(words)) is not None:
        raise Unrecognized(hint)
    instant = parse_one_time(words, now, zone)
    if instant is None:
        raise Unrecognized()
    return "once", format_instant(instant)


def _parse(text: str, tz: str | None, now: datetime | None, examples: tuple[str, ...]) -> Schedule:
    stripped = text.strip()
    if not stripped:
        raise not_understood(stripped, "empty schedule", examples)
    now_utc = datetime.now(UTC) if now is None else as_utc(now)
    default_zone = _zone_name(tz)
    body, text_zone = _split_zone(stripped)
    zone_name = text_zone or default_zone  # a zone written in the text wins over tz=
    try:
        kind, normalized = _compile(body, zone_name, now_utc)
    except Unrecognized as exc:
        raise not_understood(stripped, exc.reason, examples) from None
    except OverflowError:  # e.g. a date near year 1 or 9999 shifted out of range by its zone
        raise not_understood(stripped, "date out of range", examples) from None
    return Schedule(text=stripped, kind=kind, normalized=normalized, timezone=zone_name)


def parse_schedule(text: str, *, tz: str | None = None, now: datetime | None = None) -> Schedule:
    """Parse a one-time or recurring schedule; see the package docstring for the forms."""
    return _parse(text, tz, now, SCHEDULE_EXAMPLES)


def parse_instant(text: str, *, tz: str | None = None, now: datetime | None = None) -> datetime:
    """Parse a one-time instant ('10m', 'tomorrow at 2pm', ISO 8601) into aware UTC."""
    schedule = _parse(text, tz, now, INSTANT_EXAMPLES)
    if schedule.recurring:
        raise not_understood(text.strip(), "this is a recurring schedule", INSTANT_EXAMPLES)
    return OnceRule(schedule.normalized, parse_timezone(schedule.timezone)).instant


def schedule_from_normalized(kind: str, normalized: str, timezone: str) -> Schedule:
    """Rebuild a Schedule from its stored (kind, normalized, timezone); text = normalized."""
    if kind not in KINDS:
        reason = f"unknown schedule kind {kind!r}, expected one of {', '.join(KINDS)}"
        raise ScheduleError(reason)
    zone_name = _zone_name(timezone)
    return Schedule(text=normalized, kind=kind, normalized=normalized, timezone=zone_name)
