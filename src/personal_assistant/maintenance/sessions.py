"""Expired login sessions."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

DELETE_EXPIRED = text("DELETE FROM user_sessions WHERE expires_at <= now()")


async def delete_expired_sessions(session: AsyncSession) -> int:
    """Delete sessions whose ``expires_at`` has passed; return how many."""
    result = await session.execute(DELETE_EXPIRED)
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
