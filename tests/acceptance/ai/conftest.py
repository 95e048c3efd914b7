"""A chat-completions server on loopback that the workers of these tests talk to."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.loopback import ChatServer
from tests.support.reset import reset_process_caches


@pytest.fixture
def llm(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[ChatServer]:
    with ChatServer() as server:
        monkeypatch.setenv("PA_LLM_BASE_URL", server.base_url)
        monkeypatch.setenv("PA_LLM_MODEL", "test-model")
        monkeypatch.setenv("PA_LLM_API_KEY", "sk-test")
        monkeypatch.setenv("PA_LLM_TIMEOUT_SECONDS", "1")
        # Tasks every few seconds keep these tests short; the default minimum is a minute.
        monkeypatch.setenv("PA_AI_MIN_INTERVAL_SECONDS", "1")
        reset_process_caches()
        yield server
