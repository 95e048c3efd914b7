"""Async engine and sessions. One engine per event loop, created on first use."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

from personal_assistant.db.url import sqlalchemy_url
from personal_assistant.settings import get_settings

_engines: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, AsyncEngine]] = (
    weakref.WeakKeyDictionary()
)


def get_engine() -> AsyncEngine:
    # An async engine's connections belong to the loop that made them; the CLI runs
    # one loop per command, the worker one per process.
    per_url = _engines.setdefault(asyncio.get_running_loop(), {})
    url = sqlalchemy_url()
    engine = per_url.get(url)
    if engine is None:
        settings = get_settings()
        engine = create_async_engine(url, pool_size=settings.pool_max_size, pool_pre_ping=True)
        per_url[url] = engine
    return engine


async def dispose_engine() -> None:
    for engine in _engines.pop(asyncio.get_running_loop(), {}).values():
        await engine.dispose()


@asynccontextmanager
async def session_scope() -> AsyncIterator[AsyncSession]:
    """A session in one transaction: committed on success, rolled back on error."""
    async with AsyncSession(get_engine(), expire_on_commit=False) as session, session.begin():
        yield session


async def raw_connection(session: AsyncSession) -> Any:
    """The psycopg connection under ``session``, inside its current transaction."""
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    return raw.driver_connection
