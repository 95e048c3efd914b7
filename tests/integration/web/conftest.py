"""The dashboard in process, spoken to over ASGI by httpx, against a real database."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from personal_assistant.db.session import dispose_engine

ORIGIN = "http://dash.test"


def make_client(client_host: str = "127.0.0.1", **env: str) -> Callable[[], httpx.AsyncClient]:
    def build() -> httpx.AsyncClient:
        from personal_assistant.settings import get_settings
        from personal_assistant.web import create_app

        app = create_app(get_settings(), csrf_secret="test-secret")
        transport = httpx.ASGITransport(app=app, client=(client_host, 40000))
        return httpx.AsyncClient(transport=transport, base_url=ORIGIN)

    return build


@pytest.fixture
async def client(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with make_client()() as found:
        yield found
    await dispose_engine()


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([0-9a-f]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


SAME_ORIGIN = {"Origin": ORIGIN, "Sec-Fetch-Site": "same-origin"}


def execute(url: str, sql: str, *params: object) -> None:
    """A write the test makes behind the dashboard's back (e.g. a job finishing)."""
    import psycopg

    with psycopg.connect(url) as conn:
        conn.execute(sql, params)  # type: ignore[arg-type]
