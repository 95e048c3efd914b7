"""Tables kept tidy by the maintenance tasks: login sessions and scheduler heartbeats."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from personal_assistant.db.base import Base, now_default


class UserSession(Base):
    """A login session; only a hash of its token is stored."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    user_id: Mapped[str] = mapped_column(String(200), index=True)
    token_hash: Mapped[str] = mapped_column(String(128), unique=True)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=now_default()
    )
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class SchedulerHeartbeat(Base):
    """One row per heartbeat job that ran: deferral, worker and database all work."""

    __tablename__ = "scheduler_heartbeats"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    job_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    deferred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ran_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=now_default(), index=True
    )
    worker: Mapped[str | None] = mapped_column(String(200))
