"""A Notion API on loopback (version 2025-09-03): GET /v1/databases/{id} and
POST /v1/data_sources/{id}/query, paginated, filtered on last_edited_time."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from tests.support.loopback import Answer, LoopbackServer, Request, json_answer

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


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def _error(status: int, code: str, message: str) -> Answer:
    body = {"object": "error", "status": status, "code": code, "message": message}
    return json_answer(status, body)


class NotionServer(LoopbackServer):
    def __init__(self) -> None:
        super().__init__()
        self.pages: dict[str, dict[str, Any]] = {}
        self.requests: list[dict[str, Any]] = []
        self.fail_queries_with: int | None = None

    def respond(self, request: Request) -> Answer:
        if request.method == "GET":
            self.requests.append({"method": "GET", "path": request.path})
            return self._authorized(request) or self._database(request)
        body = json.loads(request.body or b"{}")
        self.requests.append({"method": "POST", "path": request.path, "body": body})
        return self._authorized(request) or self._query(request, body)

    def _authorized(self, request: Request) -> Answer | None:
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return _error(401, "unauthorized", "API token is invalid.")
        if request.headers.get("Notion-Version") != "2025-09-03":
            return _error(400, "missing_version", "Notion-Version header")
        return None

    def _database(self, request: Request) -> Answer:
        if request.path != f"/v1/databases/{DATABASE}":
            return _error(404, "object_not_found", "no such database")
        return json_answer(
            200,
            {
                "object": "database",
                "id": DATABASE,
                "data_sources": [{"id": SOURCE, "name": "Tasks"}],
            },
        )

    def _query(self, request: Request, body: dict[str, Any]) -> Answer:
        if request.path != f"/v1/data_sources/{SOURCE}/query":
            return _error(404, "object_not_found", "no such data source")
        if self.fail_queries_with:
            return _error(self.fail_queries_with, "service_unavailable", "try later")
        return json_answer(200, self.query(body))

    def query(self, body: dict[str, Any]) -> dict[str, Any]:
        matching = list(self.pages.values())
        bound = body.get("filter", {}).get("last_edited_time", {}).get("on_or_after")
        if bound:
            matching = [p for p in matching if instant(p["last_edited_time"]) >= instant(bound)]
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
