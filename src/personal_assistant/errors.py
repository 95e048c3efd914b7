"""One root exception for the product; each class's docstring is its default message.

The CLI turns any ``AssistantError`` into one line on stderr and ``exit_code``.
"""

from __future__ import annotations


class AssistantError(Exception):
    """Something went wrong."""

    exit_code = 1

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or (self.__doc__ or "").strip())


class BadInput(AssistantError):
    """The input was not valid."""

    exit_code = 2


class NotFound(BadInput):
    """No such object."""


class ConfigError(AssistantError):
    """A setting is not valid."""

    exit_code = 2


class DatabaseUnavailable(AssistantError):
    """The database cannot be reached."""

    exit_code = 2


class EmbeddedDatabaseError(AssistantError):
    """The embedded PostgreSQL server could not be started."""


def describe_error(exc: BaseException) -> str:
    """An exception as one line that is never empty: its first line, else its type."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def did_you_mean(name: str, known: list[str]) -> str:
    """``"; did you mean 'x'?"`` for the closest known name, or an empty string."""
    import difflib

    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""
