"""Schedules for background tasks: one parser, one ``Schedule`` type.

``parse_schedule(text, tz=..., now=...)`` turns what a user wrote into a ``Schedule``
whose ``kind`` is "once", "cron", "rrule" or "interval" and whose ``normalized`` form is
what the database stores; ``schedule_from_normalized`` rebuilds it. Input is
case-insensitive and surrounding whitespace is ignored. Parsing is deterministic with
respect to ``now`` (default: the current time); no network, no dateparser.

Accepted forms
--------------
One-time ("once", stored as an ISO 8601 UTC instant such as "2026-12-24T17:00:00Z"):

* ISO 8601: "2026-12-24T18:00", "2026-12-24 18:00:00+01:00", "2026-12-24T17:00Z";
  without an offset the schedule's zone applies; a bare date "2026-12-24" is local
  midnight. An explicit date is taken literally, even if it is in the past.
* Relative: "in 30 minutes", "in 2 hours", "in 90 seconds", "in 1 week", "10m", "in 10m",
  "1h30m", "in an hour" -- absolute elapsed time from ``now`` (days are 24 h).
* Day phrases, optionally with "at <time>": "tomorrow", "tomorrow at 2pm", "today at 5pm",
  "tonight", "tonight at 9", "next week", "next monday at 9am", "on friday at 17:00",
  "on 2026-12-24 at 18:00", "on december 24", "at 17:30", "noon", "midnight".
* Times: "9", "9am", "9:30", "9.30pm", "17:00", "17:00:30", "2pm", "12am" (00:00),
  "12pm" (12:00), "noon", "midnight". A bare number needs "at" ("at 9").

Recurring:

* "every 15 minutes", "every 2 hours", "every hour", "hourly", "every minute",
  "every 30 seconds", "every 15m" -> "interval", stored as "every 900s".
* "every day at 9am", "daily at 07:15", "every morning" (08:00; afternoon 14:00,
  evening 18:00, night 21:00), "every weekday at 8:30", "every weekend at 10",
  "every monday and thursday at 18:00", "every mon, wed and fri at 7",
  "every monday to friday", "every tuesday", "every month on the 1st at 9am",
  "monthly on the 15th", "every month on the last day", "every year on 12-25",
  "every year on december 25 at 8am" -> "cron" (e.g. "30 8 * * 1-5").
* "every 3 days at 10:00", "every other day", "every 2 weeks on tuesday",
  "every 2 months on the 15th", "every 2 years on march 1" -> "rrule", stored as
  "DTSTART;TZID=<zone>:<local start>\\nRRULE:FREQ=...;INTERVAL=n;...".
* Cron: 5 fields, or 6 fields with the SECONDS FIRST ("30 0 9 * * 1-5" = 09:00:30 on
  weekdays, as in Quartz); aliases @hourly @daily @midnight @weekly @monthly @yearly
  @annually (stored expanded). Day-of-month and day-of-week combine with OR.
* A stored "DTSTART...RRULE:..." pair is accepted as input too.

Defaults and decisions
----------------------
* No time given: one-time day phrases ("tomorrow", "next week" = next Monday, "on friday")
  run at 09:00 local, "tonight" at 21:00. Recurring rules also default to 09:00, the
  bare words included: "daily" is "every day" (09:00), "weekly" is "every week", and so
  on. Only cron's own aliases (@daily, @weekly...) keep cron's midnight.
* Plural days without "every" ("mondays at 9", "weekdays at 9") are refused with the
  recurring form as a hint ("did you mean 'every monday at 9'?"), never run once.
* "at 17:30" / "noon": today if still ahead, else tomorrow. "on friday": the next Friday
  whose run is still ahead (today counts). "next friday": the first Friday after today.
* "today at ..." / "tonight at ..." already past raise ScheduleError (no silent shift to
  tomorrow). "tonight at 9" means 21:00; tonight needs a time from 12:00 to 23:59.
* Intervals are anchored at 1970-01-01T00:00Z: runs fall on whole multiples of the period
  since the epoch, so "every 15 minutes" runs at :00, :15, :30, :45 and "every 2 hours"
  on even UTC hours, whatever the zone or creation time.
* "every N weeks/days/months/years" with N > 1 anchors DTSTART on the first matching
  local date, on or after today's date in the zone, whose run is still after ``now``
  (the schedule's reference instant: its creation, or ``schedule next --from``)
  ("every 2 weeks on tuesday" said on a Monday starts tomorrow). Without days,
  "every week", "weekly at 9" and "every 2 weeks" use the weekday of that first run.
  Day-based periods are calendar days on the wall clock ("every 3 days at 10:00"),
  unlike second/minute/hour periods, which are elapsed time.
* Limits: an interval is 1 second to 366 days; N in "every N days/weeks/..." is at most
  1000. Months without the requested day (the 31st, February 29) are skipped.
* Timezone: ``tz=`` (default "UTC") or a trailing IANA name, "... Europe/Paris" or
  "... in Europe/Paris" (any case). When both are given, the zone written in the text wins.

Time rules
----------
Every rule except "interval" is evaluated on the naive local wall clock of its zone and
each local time is then resolved to UTC: a time that does not exist (spring-forward
gap) runs at the end of the gap (02:30 -> 03:00 local), an ambiguous time (fall-back)
runs once, at its first occurrence (fold=0). Two local times falling into one gap run
once. ``next_after`` is strictly greater than ``after``; all instants are aware UTC.
"""

from personal_assistant.schedule_text.durations import parse_duration
from personal_assistant.schedule_text.errors import ScheduleError
from personal_assistant.schedule_text.parser import (
    parse_instant,
    parse_schedule,
    schedule_from_normalized,
)
from personal_assistant.schedule_text.rules import ScheduleKind
from personal_assistant.schedule_text.timezones import parse_timezone
from personal_assistant.schedule_text.types import Schedule

__all__ = [
    "Schedule",
    "ScheduleError",
    "ScheduleKind",
    "parse_duration",
    "parse_instant",
    "parse_schedule",
    "parse_timezone",
    "schedule_from_normalized",
]
