"""Synced copies of outside data: calendar feeds and events, Notion pages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
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


class CalendarFeed(Base):
    """One ICS feed (URL or file) and the validators of the copy last fetched."""

    __tablename__ = "calendar_feeds"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    source: Mapped[str] = mapped_column(Text, unique=True)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    file_mtime_ns: Mapped[int | None] = mapped_column(BigInteger)
    file_size: Mapped[int | None] = mapped_column(BigInteger)
    event_count: Mapped[int] = mapped_column(Integer, default=0)
    last_checked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)


class CalendarEvent(Base):
    """One event (or one overridden occurrence) of a feed, keyed like iCalendar does."""

    __tablename__ = "calendar_events"
    __table_args__ = (UniqueConstraint("feed_id", "uid", "recurrence_id"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    feed_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("calendar_feeds.id", ondelete="CASCADE")
    )
    uid: Mapped[str] = mapped_column(Text)
    # '' for a plain event or a series' master; the occurrence's ISO time otherwise.
    recurrence_id: Mapped[str] = mapped_column(Text, default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    description: Mapped[str | None] = mapped_column(Text)
    location: Mapped[str | None] = mapped_column(Text)
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    all_day: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str | None] = mapped_column(String(20))
    transparent: Mapped[bool] = mapped_column(Boolean, default=False)
    rrule: Mapped[str | None] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    conflicts: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=now_default()
    )


class NotionPage(Base):
    """A page of a synced Notion database, with its raw properties."""

    __tablename__ = "notion_pages"

    page_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    database_id: Mapped[str] = mapped_column(String(64), index=True)
    data_source_id: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str | None] = mapped_column(Text)
    created_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_edited_time: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    in_trash: Mapped[bool] = mapped_column(Boolean, default=False)
    properties: Mapped[Any] = mapped_column(JSONB)
    synced_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=now_default()
    )
