"""A flood of /readyz or /metrics requests does not open one database connection per
request: one probe is in flight at a time, and /readyz reuses its answer for a second."""

from __future__ import annotations

import asyncio
from typing import Any

import psycopg
import pytest

from personal_assistant.monitoring.endpoints import database_routes, worker_routes
from personal_assistant.monitoring.http import serving


async def _get(port: int, path: str) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    await writer.drain()
    answer = await reader.read()
    writer.close()
    await writer.wait_closed()
    return answer


@pytest.fixture
def connections(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every connection opened to the real database, counted on the way."""
    opened: list[str] = []
    real_async, real_sync = psycopg.AsyncConnection.connect, psycopg.Connection.connect

    async def counting_async(*args: Any, **kwargs: Any) -> Any:
        opened.append("async")
        return await real_async(*args, **kwargs)

    def counting_sync(*args: Any, **kwargs: Any) -> Any:
        opened.append("sync")
        return real_sync(*args, **kwargs)

    monkeypatch.setattr(psycopg.AsyncConnection, "connect", counting_async)
    monkeypatch.setattr(psycopg.Connection, "connect", counting_sync)
    monkeypatch.setattr(psycopg, "connect", counting_sync)
    return opened


async def test_readyz_answers_a_flood_with_one_connection(
    database_url: str, connections: list[str]
) -> None:
    async with serving(worker_routes(), "127.0.0.1", 0) as server:
        answers = await asyncio.gather(*(_get(server.port, "/readyz") for _ in range(40)))
        assert all(a.startswith(b"HTTP/1.1 503") for a in answers)  # no worker here
        assert all(b"no worker is running" in a for a in answers)
        assert len(connections) == 1
        await asyncio.sleep(1.2)
        await _get(server.port, "/readyz")
        assert len(connections) == 2


async def test_metrics_answers_a_flood_with_one_connection(
    database_url: str, connections: list[str]
) -> None:
    async with serving(database_routes(), "127.0.0.1", 0) as server:
        answers = await asyncio.gather(*(_get(server.port, "/metrics") for _ in range(20)))
        assert all(a.startswith(b"HTTP/1.1 200") and b"pa_database_up 1.0" in a for a in answers)
        # Requests share the scrape in flight when they arrive; a scrape is never cached
        # beyond that, so a few flights may serve twenty requests, one at a time.
        assert 1 <= len(connections) <= 5, connections
