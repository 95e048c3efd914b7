"""Sessions for the dashboard: every query of a request runs under a statement timeout."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from personal_assistant.db.session import session_scope
from personal_assistant.settings import get_settings


@asynccontextmanager
async def web_session() -> AsyncIterator[AsyncSession]:
    """One transaction (committed on success), bounded by ``PA_WEB_STATEMENT_TIMEOUT_MS``."""
    timeout = int(get_settings().web_statement_timeout_ms)
    async with session_scope() as session:
        await session.execute(text(f"SET LOCAL statement_timeout = {timeout}"))
        yield session
