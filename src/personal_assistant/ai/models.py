"""AI tasks and their runs. The UNIQUE (task_id, scheduled_for) of a run is what makes
one scheduled time of a task run once, whatever the number of jobs or workers.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from personal_assistant.db.base import Base, now_default

TASK_STATUSES = ("active", "paused", "completed", "cancelled", "failed")
RUN_STATUSES = ("running", "succeeded", "failed", "rescheduled")


class AITask(Base):
    __tablename__ = "ai_tasks"
    # Server-made timestamps come back with the INSERT, so rows stay usable after commit.
    __mapper_args__ = {"eager_defaults": True}  # noqa: RUF012
    __table_args__ = (
        CheckConstraint(
            "status IN ('active', 'paused', 'completed', 'cancelled', 'failed')", name="status"
        ),
        CheckConstraint("channel IN ('log', 'email', 'webhook')", name="channel"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    user_id: Mapped[str] = mapped_column(String(200), index=True)
    title: Mapped[str] = mapped_column(String(200))
    instructions: Mapped[str] = mapped_column(Text)
    # The schedule as the user wrote it, and the parser's stored form of it.
    schedule_text: Mapped[str] = mapped_column(Text)
    schedule_kind: Mapped[str] = mapped_column(String(20))
    schedule_normalized: Mapped[str] = mapped_column(Text)
    timezone: Mapped[str] = mapped_column(String(64))
    # The instant the schedule was parsed from (creation, or its last change of schedule).
    anchor_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # MCP tools the agent may call, as "server.tool" or "server.*".
    mcp_tools: Mapped[list[str]] = mapped_column(JSONB, default=list, server_default="[]")
    status: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(20))
    next_run_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    last_run_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    run_count: Mapped[int] = mapped_column(Integer, default=0)
    max_runs: Mapped[int | None] = mapped_column(Integer)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    # The procrastinate job of the run at ``next_run_at``.
    pending_job_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=now_default()
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=now_default()
    )


class AITaskRun(Base):
    __tablename__ = "ai_task_runs"
    # Server-made timestamps come back with the INSERT, so rows stay usable after commit.
    __mapper_args__ = {"eager_defaults": True}  # noqa: RUF012
    __table_args__ = (
        UniqueConstraint("task_id", "scheduled_for"),
        CheckConstraint(
            "status IN ('running', 'succeeded', 'failed', 'rescheduled')", name="status"
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    task_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("ai_tasks.id", ondelete="CASCADE"))
    job_id: Mapped[int | None] = mapped_column(BigInteger)
    scheduled_for: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=now_default()
    )
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    status: Mapped[str] = mapped_column(String(20))
    output: Mapped[str | None] = mapped_column(Text)
    tool_calls: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int | None] = mapped_column(Integer)
