"""Which failures of an MCP exchange are the connection's (another attempt may help),
and a one-line description of any of them, from the SDK's and the transport's exceptions.
"""

from __future__ import annotations

import httpx2
import mcp_types
from mcp.shared.exceptions import MCPError

from personal_assistant.mcp_client.errors import McpUnavailable, leaves

MESSAGE_MAX_CHARS = 500


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
