"""procrastinate's PsycopgConnector, reading the database URL when it opens.

Importing the app must not start a database: ``pa-tasks tasks`` and the procrastinate
CLI import it to list tasks. The URL (maybe the embedded server's) is resolved on open.
"""

from __future__ import annotations

import time
import weakref
from typing import Any

import psycopg
import psycopg_pool
from procrastinate import PsycopgConnector

from personal_assistant.db.session import RECENTLY_USED_SECONDS
from personal_assistant.db.url import database_url
from personal_assistant.settings import get_settings


class _CheckWhenIdle:
    """A pool ``check`` callback that skips connections handed out moments ago, as the
    sessions' pool does (``db.session.RECENTLY_USED_SECONDS``): checking every one would
    cost a round trip per query, most of a busy worker's database time."""

    def __init__(self) -> None:
        self._last_checkout: weakref.WeakKeyDictionary[Any, float] = weakref.WeakKeyDictionary()

    async def __call__(self, conn: psycopg.AsyncConnection[Any]) -> None:
        now = time.monotonic()
        last = self._last_checkout.get(conn)
        self._last_checkout[conn] = now
        if last is None or now - last >= RECENTLY_USED_SECONDS:
            await psycopg_pool.AsyncConnectionPool.check_connection(conn)


async def _autocommit(conn: psycopg.AsyncConnection[Any]) -> None:
    # Each of procrastinate's queries is one statement: autocommit spares the BEGIN and
    # COMMIT round trips that a pooled connection would otherwise add around it.
    await conn.set_autocommit(True)


class SettingsConnector(PsycopgConnector):
    def __init__(self, **pool_args: Any) -> None:
        super().__init__(**pool_args)
        self._static_pool_args = dict(pool_args)

    def _resolve_pool_args(self) -> None:
        settings = get_settings()
        self._pool_args = {
            "conninfo": database_url(),
            "min_size": settings.pool_min_size,
            "max_size": settings.pool_max_size,
            **self._static_pool_args,
        }

    async def _create_pool(self, pool_args: dict[str, Any]) -> psycopg_pool.AsyncConnectionPool:
        pool: psycopg_pool.AsyncConnectionPool = self._pool_factory(
            **pool_args, open=False, check=_CheckWhenIdle(), configure=_autocommit
        )
        return pool

    async def open_async(self, pool: Any = None) -> None:
        self._resolve_pool_args()
        await super().open_async(pool)

    def get_sync_connector(self) -> Any:
        if not self._async_pool:
            self._resolve_pool_args()
        return super().get_sync_connector()
