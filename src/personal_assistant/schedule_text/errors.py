"""The one exception of the schedule-text parser and its one-line messages."""

from __future__ import annotations

from personal_assistant.errors import BadInput

# Examples shown to the user; each tuple is the "accepted forms" for one entry point.
SCHEDULE_EXAMPLES = (
    "in 30 minutes",
    "tomorrow at 2pm",
    "every weekday at 8:30",
    "0 9 * * 1-5",
    "2026-12-24T18:00:00+01:00",
)
INSTANT_EXAMPLES = (
    "in 30 minutes",
    "10m",
    "tomorrow at 2pm",
    "next monday at 9am",
    "2026-12-24T18:00:00+01:00",
)
DURATION_EXAMPLES = ("10m", "30s", "2h", "1h30m", "90 minutes")

_MAX_ECHO = 120  # keep the message one readable line even for pasted junk


class ScheduleError(BadInput, ValueError):
    """A schedule, instant, duration or timezone was not understood."""


class Unrecognized(Exception):
    """Internal: a grammar rejected its input; the parser turns it into a ScheduleError."""

    def __init__(self, reason: str | None = None) -> None:
        super().__init__(reason or "")
        self.reason = reason


def _echo(text: str) -> str:
    shown = text if len(text) <= _MAX_ECHO else text[: _MAX_ECHO - 3] + "..."
    return repr(shown)  # repr escapes newlines, so the message stays on one line


def not_understood(
    text: str, reason: str | None = None, examples: tuple[str, ...] = SCHEDULE_EXAMPLES
) -> ScheduleError:
    """Build the standard error: what was not understood, why, and examples that work."""
    why = f" ({reason})" if reason else ""
    accepted = ", ".join(repr(example) for example in examples)
    return ScheduleError(
        f"could not understand {_echo(text)}{why}: accepted forms include {accepted}"
    )


def unknown_timezone(name: str) -> ScheduleError:
    return ScheduleError(
        f"unknown timezone {_echo(name)}: use an IANA name such as 'Europe/Paris' or 'UTC'"
    )
