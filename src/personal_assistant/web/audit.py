"""The dashboard's side of the audit trail: every action, recorded as its principal."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from personal_assistant.audit import service
from personal_assistant.audit.models import AuditEntry
from personal_assistant.audit.service import add_count, recent
from personal_assistant.web.security import Principal

__all__ = ["add_count", "recent", "record"]


async def record(
    session: AsyncSession,
    principal: Principal,
    action: str,
    target: str = "",
    count: int = 1,
    detail: str = "",
) -> AuditEntry:
    """Write the row in the action's own transaction: it exists exactly when the action did."""
    return await service.record(
        session,
        actor=principal.name,
        role=principal.role,
        action=action,
        target=target,
        count=count,
        detail=detail,
    )
