"""Job chains and the link from each step to the job that runs it.

Task payloads forbid unknown keys, so a job does not carry its chain: the link lives
here, keyed by the job id.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from personal_assistant.db.base import Base, now_default


class JobChain(Base):
    """Tasks run one after another: ``steps`` is ``[{"task": name, "args": {...}}, ...]``."""

    __tablename__ = "job_chains"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    steps: Mapped[Any] = mapped_column(JSONB)
    current_step: Mapped[int] = mapped_column(Integer, default=0)
    # running | succeeded | failed
    status: Mapped[str] = mapped_column(String(20), index=True, default="running")
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=now_default()
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=now_default()
    )
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class JobChainStep(Base):
    """A step that was deferred. The primary key makes deferring a step twice impossible."""

    __tablename__ = "job_chain_steps"

    chain_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("job_chains.id", ondelete="CASCADE"), primary_key=True
    )
    step: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    # running | succeeded | failed
    status: Mapped[str] = mapped_column(String(20), default="running")
    error: Mapped[str | None] = mapped_column(Text)
    deferred_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=now_default()
    )
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
