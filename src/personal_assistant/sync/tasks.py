"""Sync with outside services on ``sync_tasks``: ICS calendar feeds and Notion.

Periodic cadences are cron expressions that procrastinate evaluates in UTC. Both syncs
go through circuit breakers ("calendar", "notion"); an open breaker reschedules the
job instead of failing it.
"""

from __future__ import annotations

from procrastinate import JobContext

from personal_assistant.jobs.declare import Domain, JSONResult, Tick
from personal_assistant.jobs.retry import NETWORK
from personal_assistant.settings import get_settings
from personal_assistant.sync.calendar import sync_calendars
from personal_assistant.sync.notion import sync_notion

domain = Domain(namespace="sync", queue="sync_tasks")


@domain.task(
    name="sync_calendar_events",
    payload=Tick,
    retry=NETWORK,
    timeout=600,
    periodic="0 * * * *",  # hourly, on the hour (UTC)
)
async def sync_calendar_events(context: JobContext, payload: Tick) -> JSONResult:
    """Fetch changed ICS feeds (PA_CALENDAR_FEEDS) and upsert their events."""
    settings = get_settings()
    report = await sync_calendars(
        settings.calendar_feeds, request_timeout=settings.calendar_timeout_seconds
    )
    return report.as_json()


@domain.task(
    name="sync_notion_pages",
    payload=Tick,
    retry=NETWORK,
    timeout=1800,
    periodic="0 */2 * * *",  # every 2 hours, on the hour (UTC)
)
async def sync_notion_pages(context: JobContext, payload: Tick) -> JSONResult:
    """Upsert pages edited since the last sync from PA_NOTION_DATABASE_IDS."""
    settings = get_settings()
    report = await sync_notion(
        token=settings.notion_token.get_secret_value() if settings.notion_token else None,
        database_ids=settings.notion_database_ids,
        base_url=settings.notion_base_url,
        request_timeout=settings.notion_timeout_seconds,
    )
    return report.as_json()
