"""STARTTLS whenever the server offers it, and no password over a plain connection."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from personal_assistant.email.smtp import Outgoing, TransientRejection, deliver
from personal_assistant.settings import Settings
from tests.support.smtp import smtp_server


def outgoing() -> Outgoing:
    return Outgoing(
        recipients=["ada@example.com"],
        subject="Hi",
        text_body="Hello",
        html_body=None,
        message_id="<1@test>",
        created_at=datetime.now(UTC),
    )


async def nothing() -> None:
    return None


def settings_for(env: dict[str, str], monkeypatch: pytest.MonkeyPatch, **extra: str) -> Settings:
    for key, value in {**env, **extra}.items():
        monkeypatch.setenv(key, value)
    return Settings()


async def test_starttls_is_used_when_offered_without_being_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with smtp_server(tmp_path, tls="offered", auth=True) as (mailbox, env):
        assert "PA_SMTP_STARTTLS" not in env
        await deliver(outgoing(), settings_for(env, monkeypatch), nothing)
    assert mailbox.tls_sessions == [True]
    assert mailbox.auth_attempts == 1


async def test_no_password_over_a_plain_connection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with smtp_server(tmp_path, tls="none", auth=True) as (mailbox, env):
        with pytest.raises(TransientRejection, match="PA_SMTP_ALLOW_PLAINTEXT_AUTH"):
            await deliver(outgoing(), settings_for(env, monkeypatch), nothing)
        assert mailbox.auth_attempts == 0 and mailbox.messages == []

        allowed = settings_for(env, monkeypatch, PA_SMTP_ALLOW_PLAINTEXT_AUTH="true")
        await deliver(outgoing(), allowed, nothing)
    assert mailbox.tls_sessions == [False]
    assert mailbox.auth_attempts == 1


async def test_starttls_can_still_be_turned_off_explicitly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with smtp_server(tmp_path, tls="offered") as (mailbox, env):
        await deliver(outgoing(), settings_for(env, monkeypatch, PA_SMTP_STARTTLS="false"), nothing)
    assert mailbox.tls_sessions == [False]
