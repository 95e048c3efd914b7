"""ICS documents for the calendar sync tests: two versions of one feed, in the future."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

BASE = (datetime.now(UTC) + timedelta(days=2)).replace(hour=0, minute=0, second=0, microsecond=0)


def _stamp(offset_hours: float) -> str:
    return (BASE + timedelta(hours=offset_hours)).strftime("%Y%m%dT%H%M%SZ")


def vevent(uid: str, summary: str, start: float, end: float, extra: str = "") -> str:
    return (
        f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\n"
        f"DTSTART:{_stamp(start)}\r\nDTEND:{_stamp(end)}\r\nSUMMARY:{summary}\r\n{extra}"
        "END:VEVENT\r\n"
    )


def calendar(*events: str) -> bytes:
    body = "".join(events)
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//feed//EN\r\n{body}END:VCALENDAR\r\n".encode()


VERSION_1 = calendar(
    vevent("a@test", "Standup", 10, 11),
    vevent("b@test", "Dentist", 10.5, 11.5),  # overlaps Standup
    vevent("c@test", "Lunch", 12, 13),
    vevent("d@test", "Holiday", 0, 24, "TRANSP:TRANSPARENT\r\n"),
    vevent("e@test", "Weekly review", 14, 15, "RRULE:FREQ=WEEKLY\r\n"),
    vevent("e@test", "Weekly review (moved)", 16, 17, f"RECURRENCE-ID:{_stamp(14 + 7 * 24)}\r\n"),
)
VERSION_2 = calendar(
    vevent("a@test", "Standup (new room)", 10, 11),  # updated
    vevent("c@test", "Lunch", 12, 13),
    vevent("d@test", "Holiday", 0, 24, "TRANSP:TRANSPARENT\r\n"),
    vevent("e@test", "Weekly review", 14, 15, "RRULE:FREQ=WEEKLY\r\n"),
    vevent("e@test", "Weekly review (moved)", 16, 17, f"RECURRENCE-ID:{_stamp(14 + 7 * 24)}\r\n"),
    vevent("f@test", "Gym", 18, 19),  # added; Dentist is gone
)
