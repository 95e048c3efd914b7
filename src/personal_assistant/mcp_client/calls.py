"""List a server's tools, check arguments, call a tool: the one path the task, the CLI
and AI agents share.

A call lists the server's tools first, so its arguments are checked against the
schema the server has now, then calls the tool behind the server's circuit breaker
(``mcp:<server>``). Only transport failures count against the breaker and are retried;
a tool that reports an error (``isError``) fails with its message.

Every worker process imports this module (through the ``mcp:call_tool`` task and the AI
tools), most never call a server: the SDK and jsonschema (about 30 MiB and 0.3 s) come
with ``exchange``, imported at the first call.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from personal_assistant.errors import BadInput
from personal_assistant.mcp_client.config import server_named
from personal_assistant.mcp_client.errors import (
    McpProtocolError,
    McpUnavailable,
    OutcomeUnknown,
    ToolFailed,
)
from personal_assistant.resilience.breaker import BreakerPolicy, call_through
from personal_assistant.settings import get_settings

if TYPE_CHECKING:
    from personal_assistant.mcp_client.exchange import Answer
    from personal_assistant.mcp_client.schemas import ToolInfo


@dataclass(frozen=True)
class ToolResult:
    server: str
    tool: str
    text: str
    structured: Any
    truncated: bool

    def as_json(self) -> dict[str, Any]:
        return {
            "server": self.server,
            "tool": self.tool,
            "text": self.text,
            "structured": self.structured,
            "truncated": self.truncated,
        }


def breaker_name(server: str) -> str:
    return f"mcp:{server}"


def _policy() -> BreakerPolicy:
    settings = get_settings()
    return BreakerPolicy(
        failure_threshold=settings.mcp_breaker_failures,
        window_seconds=settings.mcp_breaker_window_seconds,
        cooldown_seconds=settings.mcp_breaker_cooldown_seconds,
    )


async def list_tools(server_name: str) -> list[ToolInfo]:
    """The tools of a configured server, as it lists them now."""
    from personal_assistant.mcp_client import (
        exchange,
    )  # loaded at the first call (module docstring)

    return await exchange.listed(server_named(server_name))


async def check_call(server_name: str, tool_name: str, arguments: dict[str, Any]) -> ToolInfo:
    """Before anything is stored: the server is known, has the tool, and the arguments
    match its input schema. An unreachable server is bad input here (nothing is written).
    """
    from personal_assistant.mcp_client import (
        exchange,
    )  # loaded at the first call (module docstring)

    server = server_named(server_name)
    try:
        tools = await exchange.listed(server)
    except (McpUnavailable, McpProtocolError) as exc:
        raise BadInput(f"cannot check the call against its schema: {exc}") from None
    return exchange.checked(server, tools, tool_name, arguments)


async def call_tool(server_name: str, tool_name: str, arguments: dict[str, Any]) -> ToolResult:
    """Call the tool once (behind the server's breaker) and return its capped result."""
    from personal_assistant.mcp_client import (
        exchange,
    )  # loaded at the first call (module docstring)

    server = server_named(server_name)
    answer: Answer = await call_through(
        breaker_name(server.name),
        _policy(),
        lambda: exchange.answer(server, tool_name, arguments),
        counts_as_failure=lambda exc: isinstance(exc, McpUnavailable | OutcomeUnknown),
    )
    if answer.is_error:
        raise ToolFailed(
            f"{server.name}.{tool_name} failed: {_one_line(answer.text) or 'no message'}"
        )
    return shaped(server.name, tool_name, answer.text, answer.structured)


def _one_line(text: str, limit: int = 500) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def shaped(server: str, tool: str, text: str, structured: Any) -> ToolResult:
    """The result as stored: text and structured content each capped."""
    cap = get_settings().mcp_result_max_chars
    truncated = False
    if len(text) > cap:
        text = text[:cap] + f"… [{len(text) - cap} more characters]"
        truncated = True
    if structured is not None:
        encoded = json.dumps(structured, default=str)
        if len(encoded) > cap:
            structured = {"truncated": True, "chars": len(encoded)}
            truncated = True
        else:
            structured = json.loads(encoded)
    return ToolResult(
        server=server, tool=tool, text=text, structured=structured, truncated=truncated
    )
