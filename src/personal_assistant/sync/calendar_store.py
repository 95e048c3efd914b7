"""Calendar rows: feed validators, the event diff of one feed, conflicts, listings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, insert, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from personal_assistant.sync.feeds import Validators, display_source
from personal_assistant.sync.ics import ParsedCalendar
from personal_assistant.sync.models import CalendarEvent, CalendarFeed

MAX_CONFLICTS_REPORTED = 20

# Busy time that can clash: timed, opaque, not cancelled, not over yet. All-day entries
# (holidays, birthdays) and "free" events never conflict.
_BUSY = """
    SELECT id, uid, summary, starts_at, ends_at FROM calendar_events
     WHERE NOT all_day AND NOT transparent AND coalesce(status, '') <> 'CANCELLED'
       AND ends_at > now() AND ends_at > starts_at
"""
UPDATE_CONFLICTS = text(
    f"""
    WITH busy AS ({_BUSY}),
    counts AS (
        SELECT a.id, count(*) AS n FROM busy a
          JOIN busy b ON b.id <> a.id AND a.starts_at < b.ends_at AND b.starts_at < a.ends_at
         GROUP BY a.id
    )
    UPDATE calendar_events e SET conflicts = coalesce(counts.n, 0)
      FROM calendar_events self LEFT JOIN counts ON counts.id = self.id
     WHERE e.id = self.id AND e.conflicts <> coalesce(counts.n, 0)
    """  # nosec B608: the interpolated pieces are constants
)
CONFLICT_PAIRS = text(
    f"""
    WITH busy AS ({_BUSY})
    SELECT a.uid, a.summary, a.starts_at, a.ends_at, b.uid, b.summary, b.starts_at, b.ends_at,
           count(*) OVER () AS total
      FROM busy a JOIN busy b
        ON a.id < b.id AND a.starts_at < b.ends_at AND b.starts_at < a.ends_at
     ORDER BY greatest(a.starts_at, b.starts_at), a.id, b.id
     LIMIT :limit
    """  # nosec B608: the interpolated pieces are constants
)


@dataclass
class FeedDiff:
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0


async def feed_state(session: AsyncSession, source: str) -> tuple[int, Validators]:
    """The feed's id (creating its row on first sight) and its stored validators."""
    await session.execute(
        pg_insert(CalendarFeed)
        .values(source=source, event_count=0)
        .on_conflict_do_nothing(index_elements=["source"])
    )
    feed = (
        await session.execute(select(CalendarFeed).where(CalendarFeed.source == source))
    ).scalar_one()
    return feed.id, Validators(
        etag=feed.etag,
        last_modified=feed.last_modified,
        file_mtime_ns=feed.file_mtime_ns,
        file_size=feed.file_size,
    )


async def mark_checked(session: AsyncSession, feed_id: int, *, error: str | None = None) -> None:
    await session.execute(
        update(CalendarFeed)
        .where(CalendarFeed.id == feed_id)
        .values(last_checked_at=datetime.now(UTC), last_error=error)
    )


async def apply_feed(
    session: AsyncSession, feed_id: int, parsed: ParsedCalendar, validators: Validators
) -> FeedDiff:
    """Make the feed's stored events equal ``parsed``; store the new validators."""
    # Lock the feed row: two syncs of one feed apply one after the other.
    await session.execute(
        select(CalendarFeed.id).where(CalendarFeed.id == feed_id).with_for_update()
    )
    rows = await session.execute(
        select(
            CalendarEvent.id,
            CalendarEvent.uid,
            CalendarEvent.recurrence_id,
            CalendarEvent.content_hash,
        ).where(CalendarEvent.feed_id == feed_id)
    )
    existing = {(uid, rid): (row_id, digest) for row_id, uid, rid, digest in rows}
    now = datetime.now(UTC)
    diff = FeedDiff()
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for event in parsed.events:
        digest = event.content_hash()
        values = _values(event, digest, now)
        found = existing.pop(event.key, None)
        if found is None:
            inserts.append({**values, "feed_id": feed_id, "conflicts": 0})
        elif found[1] != digest:
            updates.append({**values, "id": found[0]})
        else:
            diff.unchanged += 1
    if inserts:
        await session.execute(insert(CalendarEvent), inserts)
    if updates:
        await session.execute(update(CalendarEvent), updates)
    gone = [row_id for row_id, _ in existing.values()]
    if gone:
        await session.execute(delete(CalendarEvent).where(CalendarEvent.id.in_(gone)))
    diff.added, diff.updated, diff.removed = len(inserts), len(updates), len(gone)
    changed = bool(inserts or updates or gone)
    await session.execute(
        update(CalendarFeed)
        .where(CalendarFeed.id == feed_id)
        .values(
            etag=validators.etag,
            last_modified=validators.last_modified,
            file_mtime_ns=validators.file_mtime_ns,
            file_size=validators.file_size,
            event_count=len(parsed.events),
            last_checked_at=now,
            last_error=None,
            **({"last_changed_at": now} if changed else {}),
        )
    )
    return diff


def _values(event: Any, digest: str, now: datetime) -> dict[str, Any]:
    return {
        "uid": event.uid,
        "recurrence_id": event.recurrence_id,
        "summary": event.summary,
        "description": event.description,
        "location": event.location,
        "starts_at": event.starts_at,
        "ends_at": event.ends_at,
        "all_day": event.all_day,
        "status": event.status,
        "transparent": event.transparent,
        "rrule": event.rrule,
        "content_hash": digest,
        "updated_at": now,
    }


async def remove_other_feeds(session: AsyncSession, keep: list[str]) -> list[dict[str, Any]]:
    """Delete feeds (and their events) that are no longer configured; say which, how many."""
    result = await session.execute(
        delete(CalendarFeed)
        .where(CalendarFeed.source.not_in(keep))
        .returning(CalendarFeed.source, CalendarFeed.event_count)
    )
    return [{"feed": display_source(source), "events": int(count or 0)} for source, count in result]


async def other_feeds(session: AsyncSession, keep: list[str]) -> list[str]:
    """Stored feeds that are no longer configured."""
    rows = await session.execute(
        select(CalendarFeed.source).where(CalendarFeed.source.not_in(keep))
    )
    return [display_source(source) for source in rows.scalars()]


async def refresh_conflicts(session: AsyncSession) -> tuple[int, list[dict[str, Any]]]:
    """Recount each event's overlaps; return the number of overlapping pairs and the first few."""
    await session.execute(UPDATE_CONFLICTS)
    rows = (await session.execute(CONFLICT_PAIRS, {"limit": MAX_CONFLICTS_REPORTED})).all()
    pairs = [
        {
            "a": {"uid": r[0], "summary": r[1], "starts_at": r[2].isoformat()},
            "b": {"uid": r[4], "summary": r[5], "starts_at": r[6].isoformat()},
            "overlap_from": max(r[2], r[6]).isoformat(),
            "overlap_until": min(r[3], r[7]).isoformat(),
        }
        for r in rows
    ]
    return (int(rows[0][8]) if rows else 0), pairs


async def list_events(
    session: AsyncSession, start: datetime, end: datetime, limit: int = 500
) -> list[dict[str, Any]]:
    """Events overlapping [start, end), earliest first, as JSON-ready dicts."""
    rows = await session.execute(
        select(CalendarEvent, CalendarFeed.source)
        .join(CalendarFeed, CalendarFeed.id == CalendarEvent.feed_id)
        .where(CalendarEvent.starts_at < end, CalendarEvent.ends_at >= start)
        .order_by(CalendarEvent.starts_at, CalendarEvent.id)
        .limit(limit)
    )
    return [
        {
            "feed": display_source(source),
            "uid": event.uid,
            "recurrence_id": event.recurrence_id or None,
            "summary": event.summary,
            "location": event.location,
            "starts_at": event.starts_at.isoformat(),
            "ends_at": event.ends_at.isoformat(),
            "all_day": event.all_day,
            "status": event.status,
            "recurring": event.rrule is not None,
            "conflicts": event.conflicts,
        }
        for event, source in rows
    ]
