"""procrastinate's PsycopgConnector, reading the database URL when it opens.

Importing the app must not start a database: ``pa-tasks tasks`` and the procrastinate
CLI import it to list tasks. The URL (maybe the embedded server's) is resolved on open.
"""

from __future__ import annotations

from typing import Any

from procrastinate import PsycopgConnector

from personal_assistant.db.url import database_url
from personal_assistant.settings import get_settings


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

    async def open_async(self, pool: Any = None) -> None:
        self._resolve_pool_args()
        await super().open_async(pool)

    def get_sync_connector(self) -> Any:
        if not self._async_pool:
            self._resolve_pool_args()
        return super().get_sync_connector()
