"""What can go wrong when calling an MCP server, sorted by whether another attempt helps."""

from __future__ import annotations

import httpx2
import mcp_types
from mcp.shared.exceptions import MCPError

from personal_assistant.errors import AssistantError, BadInput
from personal_assistant.jobs.retry import PermanentError

MESSAGE_MAX_CHARS = 500


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


def is_transport_error(exc: BaseException) -> bool:
    """True when the failure is the connection's, not the server's answer."""
    for leaf in leaves(exc):
        if isinstance(leaf, OSError | TimeoutError | httpx2.TransportError | McpUnavailable):
            return True
        if isinstance(leaf, httpx2.HTTPStatusError) and (
            leaf.response.status_code >= 500 or leaf.response.status_code == 429
        ):
            return True
        if isinstance(leaf, MCPError) and leaf.code in (
            mcp_types.CONNECTION_CLOSED,
            mcp_types.REQUEST_TIMEOUT,
        ):
            return True
    return False


def describe(exc: BaseException) -> str:
    """One short line naming the innermost failure; never a traceback."""
    leaf = leaves(exc)[0]
    if isinstance(leaf, MCPError):
        text = leaf.message
    elif isinstance(leaf, OSError) and leaf.strerror:
        text = leaf.strerror
    else:
        text = str(leaf) or type(leaf).__name__
    line = " ".join(text.split())
    return line[:MESSAGE_MAX_CHARS]
