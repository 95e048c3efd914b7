"""Notion sync through the official client against a loopback server speaking its API."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from notion_client.errors import HTTPResponseError

from personal_assistant.db.session import dispose_engine
from personal_assistant.resilience.breaker import CircuitOpen
from personal_assistant.sync.notion import NotionRejected, sync_notion
from tests.support.db import query

TOKEN = "secret_test_token"
DATABASE = "11111111-1111-1111-1111-111111111111"
SOURCE = "22222222-2222-2222-2222-222222222222"
PAGE_SIZE = 2  # the server's, so that a handful of pages spans several requests


def page(number: int, edited: str, title: str | None = None) -> dict[str, Any]:
    page_id = f"00000000-0000-0000-0000-{number:012d}"
    return {
        "object": "page",
        "id": page_id,
        "created_time": "2026-01-01T08:00:00.000Z",
        "last_edited_time": edited,
        "in_trash": False,
        "url": f"https://www.notion.so/{page_id.replace('-', '')}",
        "parent": {"type": "data_source_id", "data_source_id": SOURCE, "database_id": DATABASE},
        "properties": {
            "Done": {"id": "d", "type": "checkbox", "checkbox": False},
            "Name": {
                "id": "title",
                "type": "title",
                "title": [{"type": "text", "plain_text": title or f"Page {number}"}],
            },
        },
    }


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


class NotionServer:
    """GET /v1/databases/{id} and POST /v1/data_sources/{id}/query, API version 2025-09-03."""

    def __init__(self) -> None:
        self.pages: dict[str, dict[str, Any]] = {}
        self.requests: list[dict[str, Any]] = []
        self.fail_queries_with: int | None = None
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _reply(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _authorized(self) -> bool:
                if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                    self._reply(401, _error(401, "unauthorized", "API token is invalid."))
                    return False
                if self.headers.get("Notion-Version") != "2025-09-03":
                    self._reply(400, _error(400, "missing_version", "Notion-Version header"))
                    return False
                return True

            def do_GET(self) -> None:
                server.requests.append({"method": "GET", "path": self.path})
                if not self._authorized():
                    return
                if self.path != f"/v1/databases/{DATABASE}":
                    self._reply(404, _error(404, "object_not_found", "no such database"))
                    return
                self._reply(
                    200,
                    {
                        "object": "database",
                        "id": DATABASE,
                        "data_sources": [{"id": SOURCE, "name": "Tasks"}],
                    },
                )

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length) or b"{}")
                server.requests.append({"method": "POST", "path": self.path, "body": body})
                if not self._authorized():
                    return
                if self.path != f"/v1/data_sources/{SOURCE}/query":
                    self._reply(404, _error(404, "object_not_found", "no such data source"))
                    return
                if server.fail_queries_with:
                    status = server.fail_queries_with
                    self._reply(status, _error(status, "service_unavailable", "try later"))
                    return
                self._reply(200, server.query(body))

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def query(self, body: dict[str, Any]) -> dict[str, Any]:
        matching = list(self.pages.values())
        bound = body.get("filter", {}).get("last_edited_time", {}).get("on_or_after")
        if bound:
            matching = [p for p in matching if _instant(p["last_edited_time"]) >= _instant(bound)]
        matching.sort(key=lambda p: (p["last_edited_time"], p["id"]))
        start = int(body.get("start_cursor") or 0)
        chunk = matching[start : start + PAGE_SIZE]
        more = start + PAGE_SIZE < len(matching)
        return {
            "object": "list",
            "results": chunk,
            "next_cursor": str(start + PAGE_SIZE) if more else None,
            "has_more": more,
            "type": "page_or_data_source",
            "page_or_data_source": {},
        }

    def queries(self) -> list[dict[str, Any]]:
        return [r["body"] for r in self.requests if r["method"] == "POST"]

    def __enter__(self) -> NotionServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


def _error(status: int, code: str, message: str) -> dict[str, Any]:
    return {"object": "error", "status": status, "code": code, "message": message}


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
    assert _instant(resumed["last_edited_time"]["on_or_after"]) == _instant("2026-01-01T11:00:00Z")
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
