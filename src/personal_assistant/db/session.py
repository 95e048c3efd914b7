"""Async engine and sessions. One engine per event loop, created on first use."""

from __future__ import annotations

import asyncio
import time
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError
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
        engine = create_async_engine(url, pool_size=settings.pool_max_size)
        _ping_when_idle(engine)
        per_url[url] = engine
    return engine


# A connection checked in less than this many seconds ago is taken as alive: pinging it
# on every checkout (``pool_pre_ping``) costs one round trip per transaction. An idle
# one is pinged, so one broken by a server restart is replaced before use.
RECENTLY_USED_SECONDS = 1.0


def _ping_when_idle(engine: AsyncEngine) -> None:
    pool = engine.sync_engine.pool
    dialect = engine.sync_engine.dialect

    @event.listens_for(pool, "checkin")
    def _checked_in(dbapi_connection: Any, record: Any) -> None:
        record.info["checked_in_at"] = time.monotonic()

    @event.listens_for(pool, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        checked_in_at = record.info.get("checked_in_at")
        if checked_in_at is not None and time.monotonic() - checked_in_at < RECENTLY_USED_SECONDS:
            return
        try:
            alive = dialect.do_ping(dbapi_connection)
        except Exception as error:
            raise DisconnectionError(str(error)) from error
        if not alive:
            raise DisconnectionError("the connection did not answer a ping")


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
