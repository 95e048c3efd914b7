"""The MCP server: the operations as tools, over stdio or streamable HTTP on loopback.

``read_only`` exposes only the reading tools; ``allow`` narrows the tools to a list.
Every call that changes something is audited (see ``audit.py``).
"""

from __future__ import annotations

import functools
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import ToolAnnotations

from personal_assistant.errors import AssistantError, BadInput
from personal_assistant.mcp_server import operations
from personal_assistant.mcp_server.audit import record_call

logger = logging.getLogger("personal_assistant.mcp_server")

Operation = Callable[..., Awaitable[Any]]
LOOPBACK = ("127.0.0.1", "::1", "localhost")


def tool_names() -> list[str]:
    return [op.__name__ for op in (*operations.READ, *operations.CHANGE)]


def _exposed(op: Operation, *, mutating: bool) -> Operation:
    @functools.wraps(op)
    async def call(**kwargs: Any) -> str:
        started = time.perf_counter()
        outcome, error = "succeeded", None
        try:
            # One JSON text per answer, lists included (the SDK would split a list).
            return json.dumps(await op(**kwargs), default=str)
        except AssistantError as exc:
            outcome, error = "refused" if isinstance(exc, BadInput) else "failed", str(exc)
            raise ToolError(str(exc)) from None
        except Exception as exc:
            outcome, error = "failed", type(exc).__name__
            logger.exception("MCP tool %s failed", op.__name__)
            raise ToolError(
                f"{op.__name__} failed ({type(exc).__name__}); see the server log"
            ) from None
        finally:
            if mutating:
                await record_call(
                    op.__name__, kwargs, outcome, error, time.perf_counter() - started
                )

    return call


def build_server(*, read_only: bool = False, allow: list[str] | None = None) -> MCPServer:
    known = tool_names()
    unknown = sorted(set(allow or ()) - set(known))
    if unknown:
        raise BadInput(f"unknown tool {unknown[0]!r} in --tools; tools are {', '.join(known)}")
    server = MCPServer(
        "personal-assistant-tasks",
        instructions=(
            "The personal assistant's durable task system: defer jobs, preview and store "
            "schedules, manage AI tasks, read jobs, runs and history."
        ),
        log_level="WARNING",
    )
    chosen: list[tuple[Operation, bool]] = [(op, False) for op in operations.READ]
    if not read_only:
        chosen += [(op, True) for op in operations.CHANGE]
    for op, mutating in chosen:
        if allow is not None and op.__name__ not in allow:
            continue
        server.add_tool(
            _exposed(op, mutating=mutating),
            name=op.__name__,
            description=" ".join((op.__doc__ or "").split()),
            annotations=ToolAnnotations(read_only_hint=not mutating, destructive_hint=mutating),
            structured_output=False,
        )
    return server


def check_host(host: str) -> str:
    if host not in LOOPBACK:
        raise BadInput(
            f"--host {host!r} is not loopback; the MCP server has no authentication, so it "
            "listens on 127.0.0.1, ::1 or localhost only"
        )
    return host
