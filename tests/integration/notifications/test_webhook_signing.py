"""A webhook's signature covers its timestamp: a captured request cannot be replayed
later, and its timestamp cannot be changed without the secret."""

from __future__ import annotations

import logging
import time

import pytest

from personal_assistant.db.session import dispose_engine, session_scope
from personal_assistant.notifications.delivery import deliver_notification
from personal_assistant.notifications.service import notify
from personal_assistant.transport import cleartext_off_loopback
from tests.support.loopback import WebhookServer, verify_webhook
from tests.support.reset import reset_process_caches


async def _deliver_one() -> None:
    async with session_scope() as session:
        notification_id = await notify(
            session, user_id="ada", channel="webhook", subject="Hi", body="There"
        )
    report = await deliver_notification(notification_id, will_retry=lambda exc: False)
    await dispose_engine()
    assert report.status == "delivered"


async def test_the_signature_covers_a_fresh_timestamp(webhook: WebhookServer) -> None:
    await _deliver_one()
    [delivered] = webhook.deliveries
    assert delivered.signature_ok
    stamp = int(delivered.headers["X-PA-Timestamp"])
    assert abs(time.time() - stamp) < 30

    # Replayed ten minutes later, the same request is refused.
    assert not verify_webhook("s3cret", delivered.headers, delivered.body, now=stamp + 600)
    # A new timestamp on the old signature does not verify either.
    forged = {**delivered.headers, "X-PA-Timestamp": str(stamp + 1)}
    assert not verify_webhook("s3cret", forged, delivered.body, now=stamp + 1)


@pytest.mark.parametrize(
    ("url", "warned"),
    [
        ("http://hooks.example.com/x", True),
        ("http://10.0.0.5:8080/x", True),
        ("https://hooks.example.com/x", False),
        ("http://127.0.0.1:9000/x", False),
        ("http://localhost/x", False),
        ("http://[::1]:9000/x", False),
    ],
)
def test_cleartext_urls_off_loopback_are_flagged(url: str, warned: bool) -> None:
    assert cleartext_off_loopback(url) is warned


async def test_a_cleartext_webhook_url_is_warned_about(
    database_url: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # 192.0.2.0/24 is reserved for documentation: nothing answers there.
    monkeypatch.setenv("PA_NOTIFY_WEBHOOK_URL", "http://192.0.2.1:9/hook")
    monkeypatch.setenv("PA_NOTIFY_WEBHOOK_SECRET", "s3cret")
    monkeypatch.setenv("PA_NOTIFY_WEBHOOK_TIMEOUT_SECONDS", "0.3")
    reset_process_caches()
    with caplog.at_level(logging.WARNING):
        async with session_scope() as session:
            notification_id = await notify(
                session, user_id="ada", channel="webhook", subject="Hi", body="There"
            )
        with pytest.raises(Exception, match="webhook unreachable"):
            await deliver_notification(notification_id, will_retry=lambda exc: True)
    await dispose_engine()
    assert any(
        "not encrypted" in r.getMessage() and "192.0.2.1" in r.getMessage() for r in caplog.records
    ), [r.getMessage() for r in caplog.records]
