"""A very small HTTP/1.1 server on asyncio, for /metrics, /healthz and /readyz.

It answers GET and HEAD on a fixed set of paths, one request per connection: enough for
Prometheus and health probes, with no web framework in the worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

from personal_assistant.logs import log_fields

logger = logging.getLogger("personal_assistant.monitoring")

# A client that has not sent its request within this time is dropped.
REQUEST_TIMEOUT_SECONDS = 10.0
MAX_HEADER_LINES = 100


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    content_type: str = "text/plain; charset=utf-8"


def json_response(status: int, payload: Any) -> Response:
    return Response(status, json.dumps(payload, default=str).encode(), "application/json")


Handler = Callable[[], Awaitable[Response]]


class HttpServer:
    def __init__(self, routes: dict[str, Handler]) -> None:
        self.routes = routes
        self._server: asyncio.Server | None = None

    async def start(self, host: str, port: int) -> None:
        self._server = await asyncio.start_server(self._serve, host, port)

    @property
    def port(self) -> int:
        """The port actually bound (useful when asked for port 0)."""
        assert self._server is not None
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await self._server.wait_closed()
            self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            try:
                async with asyncio.timeout(REQUEST_TIMEOUT_SECONDS):
                    method, path = await _read_request(reader)
            except (TimeoutError, ValueError, ConnectionError):
                return
            response = await self._respond(method, path)
            writer.write(_encode(response, with_body=method != "HEAD"))
            await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _respond(self, method: str, path: str) -> Response:
        handler = self.routes.get(path)
        if handler is None:
            return json_response(404, {"error": f"no such path; try {', '.join(self.routes)}"})
        if method not in ("GET", "HEAD"):
            return json_response(405, {"error": "only GET and HEAD are accepted"})
        try:
            return await handler()
        except Exception as exc:
            logger.exception("HTTP handler for %s failed", path, extra=log_fields("http_error"))
            return json_response(500, {"error": f"{type(exc).__name__}: {exc}"})


async def _read_request(reader: asyncio.StreamReader) -> tuple[str, str]:
    request_line = (await reader.readline()).decode("latin-1").strip()
    parts = request_line.split()
    if len(parts) != 3:
        raise ValueError("malformed request line")
    for _ in range(MAX_HEADER_LINES):  # headers are read and ignored
        if (await reader.readline()) in (b"\r\n", b"\n", b""):
            break
    return parts[0].upper(), urlsplit(parts[1]).path


def _encode(response: Response, *, with_body: bool) -> bytes:
    head = (
        f"HTTP/1.1 {response.status} {HTTPStatus(response.status).phrase}\r\n"
        f"Content-Type: {response.content_type}\r\n"
        f"Content-Length: {len(response.body)}\r\n"
        "Connection: close\r\n\r\n"
    )
    return head.encode("latin-1") + (response.body if with_body else b"")


@asynccontextmanager
async def serving(routes: dict[str, Handler], host: str, port: int) -> AsyncIterator[HttpServer]:
    server = HttpServer(routes)
    await server.start(host, port)
    try:
        yield server
    finally:
        await server.close()
