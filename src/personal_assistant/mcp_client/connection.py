"""One MCP session with a configured server, over stdio or streamable HTTP.

A stdio server is started for the session and stopped after it (the SDK closes its
stdin, then terminates its process tree). Its environment is the SDK's minimal one
(HOME, LOGNAME, PATH, SHELL, TERM, USER) plus the server's own ``env``: none of the
worker's settings or secrets reach it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, TextIO

import httpx2
from mcp import Client
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client

from personal_assistant.mcp_client.config import ServerConfig
from personal_assistant.mcp_client.errors import McpUnavailable
from personal_assistant.mcp_client.failures import describe, is_transport_error
from personal_assistant.settings import get_settings


def _stderr() -> TextIO | None:
    """Where a stdio server's stderr goes: ours, if it is a real file (a captured stream
    in memory cannot take a child's output)."""
    for stream in (sys.stderr, sys.__stderr__):
        try:
            if stream is not None:
                stream.fileno()
                return stream
        except (AttributeError, OSError, ValueError):
            continue
    return None


@asynccontextmanager
async def _transport(server: ServerConfig, seconds: float) -> AsyncIterator[Any]:
    if server.command:
        params = StdioServerParameters(
            command=server.command, args=list(server.args), env=dict(server.env), cwd=server.cwd
        )
        errlog = _stderr()
        if errlog is not None:
            yield stdio_client(params, errlog=errlog)
            return
        with open(os.devnull, "w") as devnull:  # noqa: ASYNC230 (never blocks)
            yield stdio_client(params, errlog=devnull)
        return
    assert server.url is not None
    async with httpx2.AsyncClient(
        headers=server.headers, timeout=httpx2.Timeout(seconds), follow_redirects=False
    ) as http:
        yield streamable_http_client(server.url, http_client=http)


@asynccontextmanager
async def connected(server: ServerConfig) -> AsyncIterator[Client]:
    """An initialised client; a failure to start or reach the server is McpUnavailable.

    Every request (the handshake included) is bounded by the server's timeout.
    """
    timeout = server.timeout_seconds or get_settings().mcp_timeout_seconds
    entered = False
    try:
        async with (
            _transport(server, timeout) as target,
            Client(target, read_timeout_seconds=timeout, cache=None) as client,
        ):
            entered = True
            yield client
    except Exception as exc:
        if entered or not is_transport_error(exc):
            raise
        raise McpUnavailable(
            f"MCP server {server.name!r} ({server.transport}) is unavailable: {describe(exc)}"
        ) from None
