"""Notifications: stored and deferred together, delivered once, on every channel."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from personal_assistant.db.session import dispose_engine, session_scope
from personal_assistant.notifications.channels import WebhookFailed
from personal_assistant.notifications.delivery import deliver_notification
from personal_assistant.notifications.service import notify
from personal_assistant.resilience.breaker import CircuitOpen
from tests.support.db import query, scalar
from tests.support.loopback import WebhookServer
from tests.support.reset import reset_process_caches


class Boom(Exception):
    pass


def always_retry(exc: BaseException) -> bool:
    return True


async def _notify(channel: str, user: str = "ada", source: str | None = "test:1") -> int:
    async with session_scope() as session:
        return await notify(
            session, user_id=user, channel=channel, subject="Hello", body="World", source=source
        )


def _row(url: str, notification_id: int) -> tuple[str, int, str | None]:
    [row] = query(
        url, "SELECT status, attempts, last_error FROM notifications WHERE id = %s", notification_id
    )
    return row


async def test_notify_and_its_job_commit_or_roll_back_together(database_url: str) -> None:
    with pytest.raises(Boom):
        async with session_scope() as session:
            await notify(session, user_id="ada", channel="log", subject="s", body="b")
            raise Boom
    assert scalar(database_url, "SELECT count(*) FROM notifications") == 0
    assert scalar(database_url, "SELECT count(*) FROM procrastinate_jobs") == 0

    notification_id = await _notify("log")
    await dispose_engine()
    [(task, args, queue)] = query(
        database_url, "SELECT task_name, args, queue_name FROM procrastinate_jobs"
    )
    assert task == "notifications:notify"
    assert args == {"notification_id": notification_id}
    assert queue == "email_tasks"
    assert _row(database_url, notification_id) == ("pending", 0, None)


async def test_webhook_is_signed_retried_on_non_2xx_and_delivered_once(
    database_url: str, webhook: WebhookServer
) -> None:
    notification_id = await _notify("webhook")
    webhook.statuses.extend([503])

    with pytest.raises(WebhookFailed, match="HTTP 503"):
        await deliver_notification(notification_id, will_retry=always_retry)
    assert _row(database_url, notification_id) == (
        "pending",
        1,
        "WebhookUnavailable: webhook answered HTTP 503",
    )

    report = await deliver_notification(notification_id, will_retry=always_retry)
    assert report.status == "delivered"
    again = await deliver_notification(notification_id, will_retry=always_retry)
    await dispose_engine()
    assert again.status == "already_delivered"

    assert len(webhook.deliveries) == 2, "a delivered notification was sent again"
    delivered = webhook.deliveries[-1]
    assert delivered.signature_ok
    assert delivered.headers["X-PA-Signature"].startswith("sha256=")
    assert delivered.headers["X-PA-Notification-Id"] == str(notification_id)
    assert delivered.json()["subject"] == "Hello"
    assert delivered.json()["source"] == "test:1"
    status, attempts, error = _row(database_url, notification_id)
    assert (status, attempts, error) == ("delivered", 2, None)


async def test_webhook_with_a_wrong_secret_is_refused_and_fails_on_the_last_attempt(
    database_url: str, webhook: WebhookServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PA_NOTIFY_WEBHOOK_SECRET", "not-the-secret")
    reset_process_caches()
    notification_id = await _notify("webhook")
    with pytest.raises(WebhookFailed, match="HTTP 401"):
        await deliver_notification(notification_id, will_retry=lambda exc: False)
    await dispose_engine()
    assert not webhook.deliveries[0].signature_ok
    assert _row(database_url, notification_id)[:2] == ("failed", 1)


async def test_unreachable_webhook_opens_its_breaker_then_deliveries_wait(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PA_NOTIFY_WEBHOOK_URL", "http://127.0.0.1:9/nothing-listens")
    monkeypatch.setenv("PA_NOTIFY_WEBHOOK_SECRET", "s3cret")
    reset_process_caches()
    notification_id = await _notify("webhook")
    for _ in range(5):
        with pytest.raises(WebhookFailed, match="unreachable"):
            await deliver_notification(notification_id, will_retry=always_retry)
    with pytest.raises(CircuitOpen):
        await deliver_notification(notification_id, will_retry=always_retry)
    await dispose_engine()
    assert scalar(database_url, "SELECT state FROM circuit_breakers WHERE name = 'webhook'") == (
        "open"
    )
    # Waiting on an open breaker is not an attempt.
    assert _row(database_url, notification_id)[:2] == ("pending", 5)


async def test_log_channel_delivers_a_structured_line(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    notification_id = await _notify("log")
    with caplog.at_level("INFO", logger="personal_assistant.notifications"):
        report = await deliver_notification(notification_id, will_retry=always_retry)
    await dispose_engine()
    assert report.status == "delivered"
    [line] = [r for r in caplog.records if getattr(r, "action", "") == "user_notification"]
    assert line.fields["subject"] == "Hello"  # type: ignore[attr-defined]
    assert line.fields["body"] == "World"  # type: ignore[attr-defined]
    assert _row(database_url, notification_id)[0] == "delivered"


async def test_email_channel_queues_into_the_outbox(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PA_NOTIFY_USER_EMAILS", json.dumps({"ada": "ada@example.com"}))
    reset_process_caches()
    notification_id = await _notify("email")
    await deliver_notification(notification_id, will_retry=always_retry)
    async with session_scope() as session:
        recipients = (
            await session.execute(text("SELECT recipients FROM email_outbox"))
        ).scalar_one()
    await dispose_engine()
    assert "ada@example.com" in json.dumps(recipients)
    assert _row(database_url, notification_id)[0] == "delivered"


async def test_email_without_an_address_fails_for_good(database_url: str) -> None:
    notification_id = await _notify("email", user="nobody")
    with pytest.raises(Exception, match="no email address for user 'nobody'"):
        await deliver_notification(notification_id, will_retry=always_retry)
    await dispose_engine()
    assert _row(database_url, notification_id)[:2] == ("failed", 1)
