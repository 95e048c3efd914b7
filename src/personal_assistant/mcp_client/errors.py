"""What can go wrong when calling an MCP server, sorted by whether another attempt helps.

Light to import (no SDK): the task module and the AI tools name these errors in every
worker; ``failures`` sorts the SDK's own exceptions into them.
"""

from __future__ import annotations

from personal_assistant.errors import AssistantError, BadInput
from personal_assistant.jobs.retry import PermanentError


class McpUnavailable(AssistantError):
    """The MCP server could not be reached or dropped the connection (worth retrying)."""


class McpProtocolError(PermanentError):
    """The MCP server answered with an error another attempt will not fix."""


class ToolFailed(PermanentError):
    """The tool ran and reported an error (``isError``)."""


class OutcomeUnknown(PermanentError):
    """The connection broke after the call was sent: the tool may have run."""


class InvalidArguments(BadInput):
    """The arguments do not match the tool's input schema."""


class UnknownTool(BadInput):
    """The server has no tool of that name."""


def leaves(exc: BaseException) -> list[BaseException]:
    """The exceptions inside (nested) exception groups, or ``exc`` itself."""
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for inner in exc.exceptions for leaf in leaves(inner)]
    return [exc]
