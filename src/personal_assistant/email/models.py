"""The email outbox and the record of daily summaries sent."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from personal_assistant.db.base import Base, now_default

STATUSES = ("queued", "sending", "sent", "failed")


class OutboxEmail(Base):
    """One email to send. Its row and the job that sends it are committed together.

    ``queued``: waiting for a worker. ``sending``: claimed by a worker; ``handed_over_at``
    is set once the message content is about to reach the SMTP server, after which the
    email is never sent again automatically. ``sent`` and ``failed`` are final.
    """

    __tablename__ = "email_outbox"
    __table_args__ = (
        CheckConstraint("status IN ('queued', 'sending', 'sent', 'failed')", name="status_known"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    recipients: Mapped[list[str]] = mapped_column(ARRAY(Text))
    subject: Mapped[str] = mapped_column(Text)
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), index=True, default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    # Generated at queue time and kept across every attempt: receivers that see the
    # same Message-ID twice can drop the copy.
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    handed_over_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=now_default()
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=now_default()
    )
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class DailySummary(Base):
    """The daily summary of one local date was queued: a second run that day does nothing."""

    __tablename__ = "email_daily_summaries"

    local_date: Mapped[date] = mapped_column(Date, primary_key=True)
    outbox_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("email_outbox.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=now_default()
    )
