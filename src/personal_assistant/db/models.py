"""Core tables of the job system. alembic/versions mirrors every model exactly.

procrastinate's own tables are not modelled here: its vendored schema owns them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Index, Integer, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from personal_assistant.db.base import Base, now_default


class PingRecord(Base):
    """One row per ``ping`` job that ran: the smoke test of the whole path."""

    __tablename__ = "ping_records"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    job_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    message: Mapped[str] = mapped_column(Text, default="")
    worker: Mapped[str | None] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=now_default()
    )


class JobResult(Base):
    """The JSON result of a succeeded job, keyed by procrastinate's job id."""

    __tablename__ = "job_results"

    job_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    task_name: Mapped[str] = mapped_column(String(200), index=True)
    result: Mapped[Any] = mapped_column(JSONB)
    recorded_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=now_default(), index=True
    )


class RateLimitStart(Base):
    """One start of a rate-limited task, kept for the length of its limit's window."""

    __tablename__ = "rate_limit_starts"
    __table_args__ = (Index("ix_rate_limit_starts_key_started_at", "key", "started_at"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    key: Mapped[str] = mapped_column(Text)
    job_id: Mapped[int | None] = mapped_column(BigInteger)
    started_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=now_default()
    )


class JobError(Base):
    """One failed attempt of a job: what was raised, where, and when.

    Written by the worker with the job's status change (``workers/worker.py``); deleted
    with its job by retention. No foreign key: procrastinate owns its jobs table.
    """

    __tablename__ = "job_errors"
    __table_args__ = (Index("ix_job_errors_job_id_attempt", "job_id", "attempt"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    job_id: Mapped[int] = mapped_column(BigInteger)
    attempt: Mapped[int] = mapped_column(Integer)
    task_name: Mapped[str] = mapped_column(String(200))
    queue: Mapped[str] = mapped_column(String(200))
    error_type: Mapped[str] = mapped_column(Text)
    message: Mapped[str] = mapped_column(Text)
    traceback: Mapped[str] = mapped_column(Text)
    worker: Mapped[str | None] = mapped_column(Text)
    failed_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=now_default()
    )
