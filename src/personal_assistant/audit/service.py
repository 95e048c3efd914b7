"""Writing and reading the audit trail."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from personal_assistant.audit.models import AuditEntry


async def record(
    session: AsyncSession,
    *,
    actor: str,
    role: str,
    action: str,
    target: str = "",
    count: int = 1,
    detail: str = "",
) -> AuditEntry:
    """Add the row to ``session``'s transaction: it exists exactly when the action did."""
    row = AuditEntry(
        actor=actor[:200],
        role=role[:20],
        action=action[:80],
        target=target[:1000],
        count=count,
        detail=detail[:2000],
    )
    session.add(row)
    await session.flush()
    return row


async def add_count(session: AsyncSession, entry_id: int, done: int) -> None:
    await session.execute(
        update(AuditEntry).where(AuditEntry.id == entry_id).values(count=AuditEntry.count + done)
    )


async def recent(
    session: AsyncSession, *, before: int | None = None, limit: int = 100
) -> list[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if before is not None:
        query = query.where(AuditEntry.id < before)
    return list((await session.execute(query)).scalars())
