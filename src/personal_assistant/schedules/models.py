"""Tables of dynamic schedules and of the runs they fired."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from personal_assistant.db.base import Base, now_default


class StoredSchedule(Base):
    __tablename__ = "schedules"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    task_name: Mapped[str] = mapped_column(String(200))
    args: Mapped[dict[str, Any]] = mapped_column(JSONB)
    schedule_text: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(20))
    normalized: Mapped[str] = mapped_column(Text)
    timezone: Mapped[str] = mapped_column(String(64))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    queue: Mapped[str | None] = mapped_column(String(128))
    priority: Mapped[int | None] = mapped_column(Integer)
    misfire_policy: Mapped[str] = mapped_column(String(20))
    # The instant the rule was parsed from (creation, or its last change of rule): the
    # reference of its relative phrases and the start of "every N weeks/months".
    anchor_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    next_run_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    last_run_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=now_default()
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=now_default()
    )


class ScheduleFire(Base):
    """One run of a schedule; the primary key makes each (schedule, time) fire once."""

    __tablename__ = "schedule_fires"

    schedule_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("schedules.id", ondelete="CASCADE"), primary_key=True
    )
    fire_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    job_id: Mapped[int | None] = mapped_column(BigInteger)
    catch_up: Mapped[bool] = mapped_column(Boolean, default=False)
    fired_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=now_default()
    )
