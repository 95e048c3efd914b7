"""One session with a server through the MCP SDK: list its tools, call one of them.

The heavy half of ``calls``: this module loads the SDK and jsonschema, so ``calls``
imports it at its first call, not when a worker process registers its tasks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import mcp_types
from mcp import Client

from personal_assistant.errors import BadInput
from personal_assistant.mcp_client.config import ServerConfig
from personal_assistant.mcp_client.connection import connected
from personal_assistant.mcp_client.errors import (
    McpProtocolError,
    McpUnavailable,
    OutcomeUnknown,
    ToolFailed,
    UnknownTool,
    leaves,
)
from personal_assistant.mcp_client.failures import describe, is_transport_error
from personal_assistant.mcp_client.schemas import ToolInfo, tool_info, validate_arguments

MAX_PAGES = 50


@dataclass(frozen=True)
class Answer:
    """A tool's answer, before it is capped: its text, structured content and error flag."""

    text: str
    structured: Any
    is_error: bool


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


def checked(
    server: ServerConfig, tools: list[ToolInfo], name: str, arguments: dict[str, Any]
) -> ToolInfo:
    """The tool named ``name`` among ``tools``, once ``arguments`` match its schema."""
    tool = _find(server, tools, name)
    validate_arguments(tool, arguments)
    return tool


async def listed(server: ServerConfig) -> list[ToolInfo]:
    """The server's tools, as it lists them now."""
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


async def _call_once(
    server: ServerConfig, tool_name: str, arguments: dict[str, Any]
) -> mcp_types.CallToolResult:
    async with connected(server) as client:
        tool = checked(server, await _tools(server, client), tool_name, arguments)
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


async def answer(server: ServerConfig, tool_name: str, arguments: dict[str, Any]) -> Answer:
    """Call the tool once; a transport failure is McpUnavailable (or OutcomeUnknown)."""
    try:
        result = await _call_once(server, tool_name, arguments)
    except Exception as exc:
        inner = _ours(exc)
        if inner is not exc:
            raise inner from None
        if is_transport_error(exc):
            raise McpUnavailable(f"MCP server {server.name!r}: {describe(exc)}") from None
        raise
    return Answer(_text(result.content), result.structured_content, bool(result.is_error))


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
