"""A loopback webhook receiver configured as the notification webhook, with its secret."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.loopback import WebhookServer
from tests.support.reset import reset_process_caches


@pytest.fixture
def webhook(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[WebhookServer]:
    with WebhookServer(secret="s3cret") as server:
        monkeypatch.setenv("PA_NOTIFY_WEBHOOK_URL", f"{server.url}/hook")
        monkeypatch.setenv("PA_NOTIFY_WEBHOOK_SECRET", "s3cret")
        reset_process_caches()
        yield server
