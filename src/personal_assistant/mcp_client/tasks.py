"""Tools of MCP servers (``PA_MCP_CONFIG``) called as jobs, on ``sync_tasks``.

``mcp:call_tool`` takes ``{"server": ..., "tool": ..., "arguments": {...}}``. The
arguments are checked against the tool's input schema when a job or a schedule is
stored, and again when the job runs. Only transport failures are retried; a tool that
reports an error fails the job with its message.
"""

from __future__ import annotations

from typing import Any

from procrastinate import JobContext
from pydantic import Field

from personal_assistant.jobs.declare import Domain, JSONResult, Payload
from personal_assistant.jobs.retry import RetryPolicy
from personal_assistant.mcp_client.calls import call_tool, check_call
from personal_assistant.mcp_client.config import NAME
from personal_assistant.mcp_client.errors import McpUnavailable

domain = Domain(namespace="mcp", queue="sync_tasks")

# Connection failures and dropped connections before the call was sent: the server
# is expected back. Anything else (a tool error, a refused call) is final.
MCP = RetryPolicy(
    name="mcp", max_retries=6, base_delay=5.0, max_delay=600.0, retry_on=(McpUnavailable,)
)


class CallToolPayload(Payload):
    server: str = Field(pattern=f"^{NAME.pattern}$", max_length=64)
    tool: str = Field(min_length=1, max_length=200)
    arguments: dict[str, Any] = Field(default_factory=dict)


async def _check(payload: CallToolPayload) -> None:
    await check_call(payload.server, payload.tool, payload.arguments)


@domain.task(name="call_tool", payload=CallToolPayload, retry=MCP, timeout=3700, check=_check)
async def call_tool_task(context: JobContext, payload: CallToolPayload) -> JSONResult:
    """Call a tool of a configured MCP server and store its (capped) result."""
    result = await call_tool(payload.server, payload.tool, payload.arguments)
    return result.as_json()
