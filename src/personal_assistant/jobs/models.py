"""Tables of flow control: stored queue controls, and each worker's resource-guard state."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, CheckConstraint, DateTime, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from personal_assistant.db.base import Base, now_default


class QueueControlRow(Base):
    """A queue's pause and concurrency, as set by an operator; no row means neither."""

    __tablename__ = "queue_controls"
    __table_args__ = (
        CheckConstraint("concurrency IS NULL OR concurrency > 0", name="concurrency_positive"),
    )

    queue: Mapped[str] = mapped_column(String(128), primary_key=True)
    paused: Mapped[bool] = mapped_column(Boolean, server_default=false())
    paused_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    paused_by: Mapped[str | None] = mapped_column(String(200))
    pause_reason: Mapped[str | None] = mapped_column(Text)
    concurrency: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=now_default()
    )
    updated_by: Mapped[str | None] = mapped_column(String(200))


class WorkerResourceGuard(Base):
    """The queues a live worker's resource guard holds back, and why (empty: none).

    Keyed by procrastinate's worker id; rows of workers gone from ``procrastinate_workers``
    are ignored by readers and pruned by the next worker that publishes.
    """

    __tablename__ = "worker_resource_guards"

    worker_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    worker_name: Mapped[str | None] = mapped_column(String(200))
    held_queues: Mapped[str] = mapped_column(Text, server_default="")
    detail: Mapped[str] = mapped_column(Text, server_default="")
    changed_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=now_default()
    )
