"""One record per changing MCP call: a log line with the ``action`` key ``mcp_tool_call``
naming the tool, its outcome and the names of its arguments (their values may be private).
"""

from __future__ import annotations

import logging
from typing import Any

from personal_assistant.logs import log_fields

logger = logging.getLogger("personal_assistant.mcp_server")


async def record_call(
    tool: str, arguments: dict[str, Any], outcome: str, error: str | None, seconds: float
) -> None:
    logger.info(
        "mcp tool %s %s in %.3f s",
        tool,
        outcome,
        seconds,
        extra=log_fields(
            "mcp_tool_call",
            tool=tool,
            outcome=outcome,
            error=error,
            arguments=sorted(k for k, v in arguments.items() if v is not None),
            duration_s=round(seconds, 6),
        ),
    )
