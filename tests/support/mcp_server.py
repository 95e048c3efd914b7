"""A real MCP server, written with the SDK, for tests: ``python -m tests.support.mcp_server
[--http PORT]`` speaks stdio (default) or streamable HTTP on 127.0.0.1.

``record`` appends each call (with the names of the variables in its environment) to
the file named by ``MCP_PROBE_LOG``, so a test can count calls and see what a stdio
server was given.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import ToolAnnotations

server = MCPServer("probe", log_level="WARNING")


@server.tool(annotations=ToolAnnotations(read_only_hint=True))
def get_current_time(timezone: str = "UTC") -> dict[str, Any]:
    """The current time in a zone."""
    return {"timezone": timezone, "datetime": datetime.now(UTC).isoformat()}


@server.tool()
def record(text: str, count: int = 1) -> str:
    """Record a call in the probe log and echo it."""
    entry = {"text": text, "count": count, "env": sorted(os.environ), "pid": os.getpid()}
    with open(os.environ["MCP_PROBE_LOG"], "a", encoding="utf-8") as log:
        log.write(json.dumps(entry) + "\n")
    return f"recorded {text} x{count}"


@server.tool()
def fail(reason: str) -> str:
    """Always reports an error with the given reason."""
    raise ToolError(reason)


@server.tool()
def big(size: int) -> str:
    """Answer ``size`` characters."""
    return "x" * size


def main(argv: list[str]) -> None:
    if argv[:1] == ["--http"]:
        server.run("streamable-http", host="127.0.0.1", port=int(argv[1]))
    else:
        server.run()


if __name__ == "__main__":
    main(sys.argv[1:])
