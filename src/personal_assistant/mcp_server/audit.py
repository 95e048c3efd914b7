"""One record per changing MCP call: a log line with the ``action`` key ``mcp_tool_call``
for every call, and a row in the audit trail (``mcp.<tool>``) for each one that changed
something. A refused call writes nothing, as bad input never does. Both name the tool and
the names of its arguments, never their values (they may be private).
"""

from __future__ import annotations

import logging
from typing import Any

from personal_assistant.audit import service as audit
from personal_assistant.db.session import session_scope
from personal_assistant.logs import log_fields

logger = logging.getLogger("personal_assistant.mcp_server")


async def record_call(
    tool: str, arguments: dict[str, Any], outcome: str, error: str | None, seconds: float
) -> None:
    names = sorted(k for k, v in arguments.items() if v is not None)
    if outcome == "succeeded":
        await _audit(tool, names)
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
            arguments=names,
            duration_s=round(seconds, 6),
        ),
    )


async def _audit(tool: str, names: list[str]) -> None:
    try:
        async with session_scope() as session:
            await audit.record(
                session,
                actor="mcp",
                role="assistant",
                action=f"mcp.{tool}",
                target=", ".join(names),
            )
    except Exception as exc:  # the call's own answer must still reach the assistant
        logger.warning(
            "audit row for mcp tool %s not written: %s",
            tool,
            type(exc).__name__,
            extra=log_fields("mcp_audit_unwritten", tool=tool),
        )
