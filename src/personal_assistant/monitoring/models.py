"""Alert incidents: one row per stretch of time an alert condition held.

At most one incident per key is open (``resolved_at IS NULL``, enforced by a partial
unique index), so a condition that stays true for an hour is one incident and one
notification, however many evaluations and failing jobs it spans.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, DateTime, Double, Index, String, Text, false, text
from sqlalchemy.orm import Mapped, mapped_column

from personal_assistant.db.base import Base, now_default


class AlertIncident(Base):
    __tablename__ = "alert_incidents"
    __table_args__ = (
        Index(
            "uq_alert_incidents_open_key",
            "key",
            unique=True,
            postgresql_where=text("resolved_at IS NULL"),
        ),
        Index("ix_alert_incidents_opened_at", "opened_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    # What is alerting, e.g. "failure_rate:email_tasks"; the de-duplication key.
    key: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))
    opened_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=now_default()
    )
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The measured value at the last evaluation, and the limit it was compared with.
    last_value: Mapped[float] = mapped_column(Double)
    threshold: Mapped[float] = mapped_column(Double)
    detail: Mapped[str] = mapped_column(Text, default="")
    notified: Mapped[bool] = mapped_column(Boolean, server_default=false())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=now_default()
    )
