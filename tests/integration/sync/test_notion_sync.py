"""Notion sync through the official client against a loopback server speaking its API."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from notion_client.errors import HTTPResponseError

from personal_assistant.db.session import dispose_engine
from personal_assistant.resilience.breaker import CircuitOpen
from personal_assistant.sync.notion import NotionRejected, sync_notion
from tests.support.db import query
from tests.support.notion_server import DATABASE, SOURCE, TOKEN, NotionServer, instant, page


@pytest.fixture
def notion() -> Iterator[NotionServer]:
    with NotionServer() as server:
        yield server


async def _sync(server: NotionServer, token: str = TOKEN) -> dict[str, Any]:
    report = await sync_notion(
        token=token, database_ids=[DATABASE], base_url=server.url, request_timeout=5
    )
    return report.as_json()


def _titles(url: str) -> dict[str, str]:
    return dict(query(url, "SELECT page_id, title FROM notion_pages"))


async def test_pages_are_paginated_then_resumed_from_the_newest_edit(
    database_url: str, notion: NotionServer
) -> None:
    for number, edited in (
        (1, "2026-01-01T09:00:00.000Z"),
        (2, "2026-01-01T10:00:00.000Z"),
        (3, "2026-01-01T11:00:00.000Z"),
    ):
        notion.pages[str(number)] = page(number, edited)

    first = await _sync(notion)
    assert (first["added"], first["updated"]) == (3, 0)
    assert first["databases"][0]["requests"] == 3  # database, then two pages of results
    queries = notion.queries()
    assert "filter" not in queries[0] and "start_cursor" not in queries[0]
    assert queries[1]["start_cursor"] == "2"
    assert queries[0]["sorts"] == [{"timestamp": "last_edited_time", "direction": "ascending"}]
    assert sorted(_titles(database_url).values()) == ["Page 1", "Page 2", "Page 3"]

    notion.requests.clear()
    notion.pages["2"] = page(2, "2026-01-01T12:00:00.000Z", title="Page 2 renamed")
    notion.pages["4"] = page(4, "2026-01-01T13:00:00.000Z")
    second = await _sync(notion)
    await dispose_engine()

    resumed = notion.queries()[0]["filter"]
    assert resumed["timestamp"] == "last_edited_time"
    assert instant(resumed["last_edited_time"]["on_or_after"]) == instant("2026-01-01T11:00:00Z")
    # Page 3 (edited at the resume point), then pages 2 and 4: two requests again.
    assert len(notion.queries()) == 2
    assert (second["added"], second["updated"], second["unchanged"]) == (1, 1, 1)
    titles = _titles(database_url)
    assert sorted(titles.values()) == ["Page 1", "Page 2 renamed", "Page 3", "Page 4"]
    stored = query(
        database_url,
        "SELECT database_id, data_source_id, properties->'Done'->>'type' FROM notion_pages "
        "WHERE page_id = %s",
        page(4, "")["id"],
    )
    assert stored == [(DATABASE, SOURCE, "checkbox")]


async def test_a_rejected_token_fails_permanently_and_writes_nothing(
    database_url: str, notion: NotionServer
) -> None:
    notion.pages["1"] = page(1, "2026-01-01T09:00:00.000Z")
    with pytest.raises(NotionRejected, match="HTTP 401"):
        await _sync(notion, token="wrong")
    await dispose_engine()
    assert query(database_url, "SELECT count(*) FROM notion_pages") == [(0,)]


async def test_repeated_outages_open_the_notion_breaker(
    database_url: str, notion: NotionServer
) -> None:
    notion.fail_queries_with = 503
    for _ in range(5):
        with pytest.raises(HTTPResponseError):
            await _sync(notion)
    served = len(notion.requests)

    with pytest.raises(CircuitOpen):
        await _sync(notion)
    await dispose_engine()

    assert len(notion.requests) == served
    state = query(database_url, "SELECT state FROM circuit_breakers WHERE name = 'notion'")
    assert state == [("open",)]
