"""The audit trail: every dashboard action, with who, what, when and how many."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from personal_assistant.web.models import WebAudit
from personal_assistant.web.security import Principal


async def record(
    session: AsyncSession,
    principal: Principal,
    action: str,
    target: str = "",
    count: int = 1,
    detail: str = "",
) -> WebAudit:
    """Write the row in the action's own transaction: it exists exactly when the action did."""
    row = WebAudit(
        actor=principal.name[:200],
        role=principal.role,
        action=action,
        target=target[:1000],
        count=count,
        detail=detail[:2000],
    )
    session.add(row)
    await session.flush()
    return row


async def add_count(session: AsyncSession, audit_id: int, done: int) -> None:
    await session.execute(
        update(WebAudit).where(WebAudit.id == audit_id).values(count=WebAudit.count + done)
    )


async def recent(
    session: AsyncSession, *, before: int | None = None, limit: int = 100
) -> list[WebAudit]:
    query = select(WebAudit).order_by(WebAudit.id.desc()).limit(limit)
    if before is not None:
        query = query.where(WebAudit.id < before)
    return list((await session.execute(query)).scalars())
