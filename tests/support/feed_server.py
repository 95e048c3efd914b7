"""An ICS feed on loopback: ETag / Last-Modified, conditional GETs answered with 304."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

from tests.support.calendar_samples import VERSION_1
from tests.support.loopback import Answer, LoopbackServer, Request


class FeedServer(LoopbackServer):
    """Serves /cal.ics; ``status_override`` maps other paths to a bare status."""

    def __init__(self) -> None:
        super().__init__()
        self.body = VERSION_1
        self.modified = datetime(2026, 1, 1, tzinfo=UTC)
        self.requests: list[dict[str, Any]] = []
        self.status_override: dict[str, int] = {}

    def respond(self, request: Request) -> Answer:
        if request.method != "GET":
            return Answer(status=501)
        self.requests.append({"path": request.path, "headers": request.headers})
        if request.path in self.status_override:
            return Answer(status=self.status_override[request.path])
        if request.path != "/cal.ics":
            return Answer(status=404)
        etag = '"' + hashlib.sha256(self.body).hexdigest()[:16] + '"'
        if request.headers.get("If-None-Match") == etag:
            return Answer(status=304, headers={"ETag": etag})
        return Answer(
            body=self.body,
            headers={
                "Content-Type": "text/calendar",
                "ETag": etag,
                "Last-Modified": format_datetime(self.modified, usegmt=True),
            },
        )
