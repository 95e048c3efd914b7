"""Sync the pages of configured Notion databases into ``notion_pages``.

Uses the official ``notion-client`` (3.x, Notion API version 2025-09-03). In that API
a database holds one or more data sources and pages are queried per data source:
``GET /v1/databases/{id}`` lists them, ``POST /v1/data_sources/{id}/query`` pages
through their pages (``start_cursor`` / ``has_more`` / ``next_cursor``).

Incremental: each database resumes from the newest ``last_edited_time`` already
stored, with an ``on_or_after`` filter (Notion rounds edit times to the minute, so
"after" would miss pages edited in the same minute) and ascending order. One database
is one transaction, so the resume point only moves when all its pages are stored.
Every request goes through the "notion" circuit breaker; the client's own retries are
off so the breaker and the task's retry policy see every failure.

Not covered by an incremental query: pages deleted or moved to the trash after they
were synced. Notion's query does not return them, so they stay until a page that comes
back with ``in_trash`` marks them.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
from notion_client import AsyncClient
from notion_client.errors import HTTPResponseError, RequestTimeoutError
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from personal_assistant.db.session import session_scope
from personal_assistant.jobs.retry import PermanentError
from personal_assistant.logs import log_fields
from personal_assistant.resilience.breaker import BreakerPolicy, call_through
from personal_assistant.sync.models import NotionPage
from personal_assistant.transport import warn_if_cleartext

logger = logging.getLogger("personal_assistant.sync")

BREAKER = "notion"
POLICY = BreakerPolicy(failure_threshold=5, window_seconds=60.0, cooldown_seconds=30.0)
PAGE_SIZE = 100

UPSERT = text(
    """
    INSERT INTO notion_pages (page_id, database_id, data_source_id, title, url, created_time,
                              last_edited_time, in_trash, properties, synced_at)
    VALUES (:page_id, :database_id, :data_source_id, :title, :url, :created_time,
            :last_edited_time, :in_trash, CAST(:properties AS jsonb), now())
    ON CONFLICT (page_id) DO UPDATE SET
        database_id = EXCLUDED.database_id, data_source_id = EXCLUDED.data_source_id,
        title = EXCLUDED.title, url = EXCLUDED.url, created_time = EXCLUDED.created_time,
        last_edited_time = EXCLUDED.last_edited_time, in_trash = EXCLUDED.in_trash,
        properties = EXCLUDED.properties, synced_at = now()
     WHERE notion_pages.last_edited_time < EXCLUDED.last_edited_time
        OR notion_pages.properties IS DISTINCT FROM EXCLUDED.properties
        OR notion_pages.in_trash IS DISTINCT FROM EXCLUDED.in_trash
    RETURNING (xmax = 0) AS inserted
    """
)


class NotionRejected(PermanentError):
    """Notion refused the request (bad token, unknown database, invalid query)."""


class NotionNotConfigured(PermanentError):
    """PA_NOTION_TOKEN is not set."""


def is_outage(exc: BaseException) -> bool:
    """Failures that say Notion is down or overloaded, not that the request is wrong."""
    if isinstance(exc, RequestTimeoutError | httpx.TransportError):
        return True
    return isinstance(exc, HTTPResponseError) and (exc.status >= 500 or exc.status == 429)


@dataclass
class DatabaseReport:
    database_id: str
    data_sources: int = 0
    requests: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    resumed_from: str | None = None
    error: str | None = None


@dataclass
class NotionSyncReport:
    databases: list[DatabaseReport] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "added": sum(d.added for d in self.databases),
            "updated": sum(d.updated for d in self.databases),
            "unchanged": sum(d.unchanged for d in self.databases),
            "databases": [d.__dict__ for d in self.databases],
        }


async def sync_notion(
    *, token: str | None, database_ids: list[str], base_url: str, request_timeout: float
) -> NotionSyncReport:
    report = NotionSyncReport()
    if not database_ids:
        return report
    if not token:
        raise NotionNotConfigured("PA_NOTION_TOKEN is not set; it is needed to read databases")
    warn_if_cleartext(base_url, "the Notion token", logger)
    async with httpx.AsyncClient() as http:
        client = AsyncClient(
            client=http,
            auth=token,
            base_url=base_url.rstrip("/"),
            timeout_ms=int(request_timeout * 1000),
            retry=False,
            logger=logging.getLogger("personal_assistant.sync.notion_client"),
        )
        for database_id in database_ids:
            try:
                async with session_scope() as session:
                    report.databases.append(await sync_database(session, client, database_id))
            except NotionRejected as exc:
                # One bad database id must not hold the others back.
                report.databases.append(DatabaseReport(database_id=database_id, error=str(exc)))
    summary = report.as_json()
    failed = [d for d in report.databases if d.error]
    logger.log(
        logging.WARNING if failed else logging.INFO,
        "notion sync: %d added, %d updated, %d database(s) failed",
        summary["added"],
        summary["updated"],
        len(failed),
        extra=log_fields("notion_synced", databases=len(database_ids), failed=len(failed)),
    )
    if failed:
        raise NotionRejected(
            f"{len(failed)} of {len(database_ids)} Notion database(s) failed "
            f"(the others were synced): {failed[0].error}"
        )
    return report


async def sync_database(
    session: AsyncSession, client: AsyncClient, database_id: str
) -> DatabaseReport:
    report = DatabaseReport(database_id=database_id)
    since = await newest_edit(session, database_id)
    report.resumed_from = since.isoformat() if since else None
    database = await _request(report, lambda: client.databases.retrieve(database_id=database_id))
    for source in database.get("data_sources", []):
        report.data_sources += 1
        cursor: str | None = None
        while True:
            query = _query_call(client, source["id"], _query(since, cursor))
            batch = await _request(report, query)
            for item in batch.get("results", []):
                if item.get("object") == "page":
                    await _store_page(session, report, database_id, source["id"], item)
            cursor = batch.get("next_cursor")
            if not batch.get("has_more") or not cursor:
                break
    return report


async def newest_edit(session: AsyncSession, database_id: str) -> datetime | None:
    newest: datetime | None = (
        await session.execute(
            select(func.max(NotionPage.last_edited_time)).where(
                NotionPage.database_id == database_id
            )
        )
    ).scalar_one()
    return newest


def _query_call(
    client: AsyncClient, data_source_id: str, body: dict[str, Any]
) -> Callable[[], Awaitable[Any]]:
    async def call() -> Any:
        return await client.data_sources.query(data_source_id, **body)

    return call


def _query(since: datetime | None, cursor: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "page_size": PAGE_SIZE,
        "sorts": [{"timestamp": "last_edited_time", "direction": "ascending"}],
    }
    if since is not None:
        body["filter"] = {
            "timestamp": "last_edited_time",
            "last_edited_time": {"on_or_after": since.isoformat()},
        }
    if cursor:
        body["start_cursor"] = cursor
    return body


async def _request(report: DatabaseReport, call: Callable[[], Awaitable[Any]]) -> Any:
    report.requests += 1
    try:
        return await call_through(BREAKER, POLICY, call, counts_as_failure=is_outage)
    except HTTPResponseError as exc:
        if is_outage(exc):
            raise
        raise NotionRejected(
            f"Notion answered HTTP {exc.status} for database {report.database_id}: {exc}"
        ) from None


async def _store_page(
    session: AsyncSession,
    report: DatabaseReport,
    database_id: str,
    data_source_id: str,
    page: dict[str, Any],
) -> None:
    row = (
        await session.execute(
            UPSERT,
            {
                "page_id": page["id"],
                "database_id": database_id,
                "data_source_id": data_source_id,
                "title": page_title(page),
                "url": page.get("url"),
                "created_time": datetime.fromisoformat(page["created_time"]),
                "last_edited_time": datetime.fromisoformat(page["last_edited_time"]),
                "in_trash": bool(page.get("in_trash", page.get("archived", False))),
                "properties": json.dumps(page.get("properties", {})),
            },
        )
    ).first()
    if row is None:
        report.unchanged += 1
    elif row.inserted:
        report.added += 1
    else:
        report.updated += 1


def page_title(page: dict[str, Any]) -> str:
    for prop in page.get("properties", {}).values():
        if isinstance(prop, dict) and prop.get("type") == "title":
            return "".join(part.get("plain_text", "") for part in prop.get("title", []))
    return ""
