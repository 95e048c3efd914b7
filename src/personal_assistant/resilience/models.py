"""One row per protected dependency (llm, smtp, calendar, notion, webhook, ...)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from personal_assistant.db.base import Base, now_default

BREAKER_STATES = ("closed", "open", "half_open")


class CircuitBreakerState(Base):
    """A dependency's circuit breaker, seen alike by every worker process."""

    __tablename__ = "circuit_breakers"
    __table_args__ = (
        CheckConstraint("state IN ('closed', 'open', 'half_open')", name="state"),
        CheckConstraint("failures >= 0", name="failures"),
    )

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    state: Mapped[str] = mapped_column(String(20))
    # Counted failures since ``window_started_at``; a window older than the policy's
    # length starts over at the next failure.
    failures: Mapped[int] = mapped_column(Integer)
    window_started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    opened_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(String(500))
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=now_default()
    )
