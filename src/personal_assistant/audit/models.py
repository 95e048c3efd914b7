"""The audit trail: one row per action taken through the dashboard or the MCP server."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from personal_assistant.db.base import Base, now_default


class AuditEntry(Base):
    __tablename__ = "web_audit"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=now_default(), index=True
    )
    # Who: the authenticated name (or "local" on loopback without credentials) and role;
    # for the MCP server, "mcp" and its mode.
    actor: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    # What: e.g. "job.retry", "jobs.bulk_cancel", "queue.pause", "mcp.defer_job"; on what;
    # how many rows.
    action: Mapped[str] = mapped_column(String(80))
    target: Mapped[str] = mapped_column(Text, default="")
    count: Mapped[int] = mapped_column(Integer, default=1)
    detail: Mapped[str] = mapped_column(Text, default="")
