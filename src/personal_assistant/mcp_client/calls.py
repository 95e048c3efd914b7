"""List a server's tools, check arguments, call a tool: the one path the task, the CLI
and AI agents share.

A call lists the server's tools first, so its arguments are checked against the
schema the server has now, then calls the tool behind the server's circuit breaker
(``mcp:<server>``). Only transport failures count against the breaker and are retried;
a tool that reports an error (``isError``) fails with its message.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import mcp_types
from mcp import Client

from personal_assistant.errors import BadInput
from personal_assistant.mcp_client.config import ServerConfig, server_named
from personal_assistant.mcp_client.connection import connected
from personal_assistant.mcp_client.errors import (
    McpProtocolError,
    McpUnavailable,
    OutcomeUnknown,
    ToolFailed,
    UnknownTool,
    describe,
    is_transport_error,
    leaves,
)
from personal_assistant.mcp_client.schemas import ToolInfo, tool_info, validate_arguments
from personal_assistant.resilience.breaker import BreakerPolicy, call_through
from personal_assistant.settings import get_settings

MAX_PAGES = 50


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


def _ours(exc: BaseException) -> BaseException:
    """Our own error raised inside the SDK's task groups, unwrapped from its group."""
    ours = (McpUnavailable, BadInput, McpProtocolError, ToolFailed, OutcomeUnknown)
    found: list[BaseException] = [leaf for leaf in leaves(exc) if isinstance(leaf, ours)]
    return found[0] if found else exc


async def _tools(server: ServerConfig, client: Client) -> list[ToolInfo]:
    tools: list[ToolInfo] = []
    cursor: str | None = None
    for _ in range(MAX_PAGES):
        page = await client.list_tools(cursor=cursor)
        tools.extend(tool_info(server.name, tool) for tool in page.tools)
        cursor = page.next_cursor
        if cursor is None:
            break
    return tools


def _find(server: ServerConfig, tools: list[ToolInfo], name: str) -> ToolInfo:
    for tool in tools:
        if tool.name == name:
            return tool
    known = ", ".join(sorted(t.name for t in tools)) or "none"
    raise UnknownTool(f"MCP server {server.name!r} has no tool {name!r}; its tools: {known}")


async def _listed(server: ServerConfig) -> list[ToolInfo]:
    try:
        async with connected(server) as client:
            try:
                return await _tools(server, client)
            except Exception as exc:
                if is_transport_error(exc):
                    raise McpUnavailable(
                        f"MCP server {server.name!r} broke off: {describe(exc)}"
                    ) from None
                raise McpProtocolError(
                    f"MCP server {server.name!r} could not list its tools: {describe(exc)}"
                ) from None
    except Exception as exc:
        raise _ours(exc) from None


async def list_tools(server_name: str) -> list[ToolInfo]:
    """The tools of a configured server, as it lists them now."""
    return await _listed(server_named(server_name))


async def check_call(server_name: str, tool_name: str, arguments: dict[str, Any]) -> ToolInfo:
    """Before anything is stored: the server is known, has the tool, and the arguments
    match its input schema. An unreachable server is bad input here (nothing is written).
    """
    server = server_named(server_name)
    try:
        tools = await _listed(server)
    except (McpUnavailable, McpProtocolError) as exc:
        raise BadInput(f"cannot check the call against its schema: {exc}") from None
    tool = _find(server, tools, tool_name)
    validate_arguments(tool, arguments)
    return tool


async def _call_once(server: ServerConfig, tool_name: str, arguments: dict[str, Any]) -> Any:
    async with connected(server) as client:
        tool = _find(server, await _tools(server, client), tool_name)
        validate_arguments(tool, arguments)
        try:
            return await client.call_tool(tool_name, arguments)
        except Exception as exc:
            if not is_transport_error(exc):
                raise McpProtocolError(
                    f"{server.name}.{tool_name} was refused: {describe(exc)}"
                ) from None
            if tool.safe_to_repeat:
                raise McpUnavailable(
                    f"{server.name}.{tool_name}: connection lost: {describe(exc)}"
                ) from None
            raise OutcomeUnknown(
                f"{server.name}.{tool_name}: connection lost after the call was sent "
                f"({describe(exc)}); the tool may have run, so it is not sent again"
            ) from None


async def _guarded(server: ServerConfig, tool_name: str, arguments: dict[str, Any]) -> Any:
    try:
        return await _call_once(server, tool_name, arguments)
    except Exception as exc:
        inner = _ours(exc)
        if inner is not exc:
            raise inner from None
        if is_transport_error(exc):
            raise McpUnavailable(f"MCP server {server.name!r}: {describe(exc)}") from None
        raise


async def call_tool(server_name: str, tool_name: str, arguments: dict[str, Any]) -> ToolResult:
    """Call the tool once (behind the server's breaker) and return its capped result."""
    server = server_named(server_name)
    result: mcp_types.CallToolResult = await call_through(
        breaker_name(server.name),
        _policy(),
        lambda: _guarded(server, tool_name, arguments),
        counts_as_failure=lambda exc: isinstance(exc, McpUnavailable | OutcomeUnknown),
    )
    text = _text(result.content)
    if result.is_error:
        raise ToolFailed(f"{server.name}.{tool_name} failed: {_one_line(text) or 'no message'}")
    return shaped(server.name, tool_name, text, result.structured_content)


def _text(content: list[Any]) -> str:
    parts: list[str] = []
    for block in content:
        if isinstance(block, mcp_types.TextContent):
            parts.append(block.text)
        else:
            kind = getattr(block, "type", "content")
            mime = getattr(block, "mime_type", None)
            parts.append(f"[{kind}{' ' + mime if mime else ''}]")
    return "\n".join(parts)


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
