"""Sync configured ICS feeds into ``calendar_events``.

For each feed: read its validators (short transaction), fetch it if changed (no
transaction held across the network; HTTP fetches go through the "calendar" circuit
breaker), then apply the difference in one transaction: new (UID, RECURRENCE-ID) keys
are added, changed ones updated, keys gone from the feed removed. Feeds no longer
configured are dropped with their events, but only by a run without errors. Overlapping upcoming events are then
counted as conflicts.

One feed's failure does not stop the others. A permanent one (HTTP 4xx, not an ICS
file, missing file) is recorded on the feed and reported; a transient one (network,
HTTP 5xx) is recorded too and, once every feed was tried, fails the run so the retry
policy tries again. An open breaker reschedules the whole run.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import httpx

from personal_assistant.db.session import session_scope
from personal_assistant.jobs.retry import PermanentError
from personal_assistant.logs import log_fields
from personal_assistant.resilience.breaker import BreakerPolicy, call_through
from personal_assistant.sync import calendar_store as store
from personal_assistant.sync.feeds import (
    FeedUnavailable,
    Fetched,
    display_source,
    fetch_file,
    fetch_http,
    is_http,
)
from personal_assistant.sync.ics import parse_calendar

logger = logging.getLogger("personal_assistant.sync")

BREAKER = "calendar"
POLICY = BreakerPolicy(failure_threshold=5, window_seconds=60.0, cooldown_seconds=30.0)


class CalendarUnavailable(Exception):
    """Some calendar feeds could not be fetched; the run is retried."""

    def __init__(self, message: str, report: CalendarSyncReport) -> None:
        super().__init__(message)
        self.report = report


@dataclass
class FeedReport:
    feed: str
    status: str  # updated | not_modified | error
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    skipped: int = 0
    error: str | None = None
    retry_later: bool = False  # the error is transient

    def as_json(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None and v is not False}


@dataclass
class CalendarSyncReport:
    feeds: list[FeedReport] = field(default_factory=list)
    removed_feeds: list[dict[str, Any]] = field(default_factory=list)
    # Feeds no longer configured, kept because the run had errors (removed by a clean run).
    kept_feeds: list[str] = field(default_factory=list)
    conflicts: int = 0
    conflict_pairs: list[dict[str, Any]] = field(default_factory=list)

    def total(self, key: str) -> int:
        return sum(int(getattr(feed, key)) for feed in self.feeds)

    def as_json(self) -> dict[str, Any]:
        return {
            "added": self.total("added"),
            "updated": self.total("updated"),
            "removed": self.total("removed"),
            "unchanged": self.total("unchanged"),
            "errors": sum(1 for feed in self.feeds if feed.status == "error"),
            "conflicts": self.conflicts,
            "conflict_pairs": self.conflict_pairs,
            "feeds_removed": len(self.removed_feeds),
            "removed_feeds": self.removed_feeds,
            "kept_feeds": self.kept_feeds,
            "feeds": [feed.as_json() for feed in self.feeds],
        }


async def sync_calendars(sources: list[str], *, request_timeout: float) -> CalendarSyncReport:
    report = CalendarSyncReport()
    transient: list[str] = []
    async with httpx.AsyncClient(timeout=request_timeout) as client:
        for source in sources:
            feed = await sync_feed(source, client)
            report.feeds.append(feed)
            if feed.retry_later:
                transient.append(feed.feed)
    failed = any(feed.status == "error" for feed in report.feeds)
    async with session_scope() as session:
        # A feed missing from a run that had errors may be a mistake being fixed: its
        # events are deleted only by a run where everything worked.
        if failed:
            report.kept_feeds = await store.other_feeds(session, sources)
        else:
            report.removed_feeds = await store.remove_other_feeds(session, sources)
        report.conflicts, report.conflict_pairs = await store.refresh_conflicts(session)
    summary = report.as_json()
    logger.info(
        "calendar sync: +%d ~%d -%d, %d conflict(s), %d error(s)",
        summary["added"],
        summary["updated"],
        summary["removed"],
        summary["conflicts"],
        summary["errors"],
        extra=log_fields(
            "calendar_synced",
            {k: v for k, v in summary.items() if k not in ("feeds", "removed_feeds")},
        ),
    )
    if transient:
        raise CalendarUnavailable(
            f"{len(transient)} calendar feed(s) unavailable ({', '.join(transient)}); "
            "the others were synced",
            report,
        )
    return report


async def sync_feed(source: str, client: httpx.AsyncClient) -> FeedReport:
    shown = display_source(source)
    async with session_scope() as session:
        feed_id, known = await store.feed_state(session, source)
    try:
        if is_http(source):
            fetched: Fetched = await call_through(
                BREAKER,
                POLICY,
                lambda: fetch_http(client, source, known),
                counts_as_failure=lambda exc: isinstance(exc, FeedUnavailable),
            )
        else:
            fetched = await fetch_file(source, known)
        if not fetched.changed:
            async with session_scope() as session:
                await store.mark_checked(session, feed_id)
            return FeedReport(feed=shown, status="not_modified")
        assert fetched.body is not None
        parsed = parse_calendar(fetched.body)
        async with session_scope() as session:
            diff = await store.apply_feed(session, feed_id, parsed, fetched.validators)
    except (PermanentError, FeedUnavailable) as exc:
        kind = "unavailable" if isinstance(exc, FeedUnavailable) else "rejected"
        message = f"{kind}: {exc}"
        logger.warning(
            "calendar feed %s: %s",
            shown,
            message,
            extra=log_fields("calendar_feed_failed", feed=shown),
        )
        async with session_scope() as session:
            await store.mark_checked(session, feed_id, error=message)
        return FeedReport(
            feed=shown, status="error", error=message, retry_later=kind == "unavailable"
        )
    return FeedReport(
        feed=shown,
        status="updated",
        added=diff.added,
        updated=diff.updated,
        removed=diff.removed,
        unchanged=diff.unchanged,
        skipped=parsed.skipped,
    )
