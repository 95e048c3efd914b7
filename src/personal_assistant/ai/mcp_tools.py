"""MCP tools an AI task names ("time.get_current_time", "docs.*"), offered to its agent.

At the start of a run the named servers are asked for their tools; those the task's
patterns allow are offered to the model with their input schemas, under function names
the chat API accepts (``mcp__<server>__<tool>``). A call goes through
``mcp_client.calls.call_tool``, the path of the ``mcp:call_tool`` task: the same schema
check, timeout, result cap and circuit breaker. A failure goes back to the model as an
``error``; every call is recorded with the run.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from personal_assistant.errors import AssistantError
from personal_assistant.logs import log_fields
from personal_assistant.mcp_client.calls import call_tool, list_tools
from personal_assistant.mcp_client.patterns import allows, servers_of

if TYPE_CHECKING:
    from personal_assistant.mcp_client.schemas import ToolInfo

logger = logging.getLogger("personal_assistant.ai")

_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")
DESCRIPTION_MAX_CHARS = 1000


@dataclass(frozen=True)
class McpTool:
    function: str  # the name the model calls
    info: ToolInfo

    def schema(self) -> dict[str, Any]:
        description = f"[{self.info.server}.{self.info.name}] {self.info.description}".strip()
        return {
            "type": "function",
            "function": {
                "name": self.function,
                "description": description[:DESCRIPTION_MAX_CHARS],
                "parameters": self.info.input_schema,
            },
        }


def function_name(server: str, tool: str) -> str:
    return _UNSAFE.sub("_", f"mcp__{server}__{tool}")[:64]


async def offered_tools(patterns: list[str]) -> dict[str, McpTool]:
    """The allowed tools of each named server, by function name; a server that cannot
    be listed now is left out (and logged), the others are still offered."""
    offered: dict[str, McpTool] = {}
    for server in servers_of(patterns):
        try:
            tools = await list_tools(server)
        except AssistantError as exc:
            logger.warning(
                "MCP server %s left out of this run: %s",
                server,
                exc,
                extra=log_fields("ai_mcp_server_unavailable", server=server),
            )
            continue
        for info in tools:
            if allows(patterns, server, info.name):
                tool = McpTool(function_name(server, info.name), info)
                offered.setdefault(tool.function, tool)
    return offered


async def call_offered(tool: McpTool, arguments: dict[str, Any]) -> dict[str, Any]:
    """The tool's result for the model, or ``{"error": ...}``."""
    try:
        result = await call_tool(tool.info.server, tool.info.name, arguments)
    except AssistantError as exc:
        return {"error": str(exc)}
    return {"text": result.text, "structured": result.structured}
