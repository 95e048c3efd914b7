"""A real PostgreSQL for every test.

Where it comes from, in order: ``TEST_DATABASE_URL``; a testcontainers PostgreSQL when
a Docker engine answers; else a throwaway embedded server. The schema is migrated once
into a template database; each test gets a fresh clone (``CREATE DATABASE ... TEMPLATE``).
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import sql

from tests.support.loopback import ChatServer
from tests.support.postgres import PostgresServer, start_test_server
from tests.support.reset import reset_process_caches

# One template per xdist worker: they may share a TEST_DATABASE_URL server.
TEMPLATE = f"pa_test_template_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
_counter = itertools.count()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    server = start_test_server()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(scope="session")
def template_database(pg_server: PostgresServer) -> str:
    from personal_assistant.db import migrate

    with psycopg.connect(pg_server.admin_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(TEMPLATE))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(TEMPLATE)))
    url = pg_server.url_for(TEMPLATE)
    migrate.upgrade(url)
    return url


@pytest.fixture
def empty_database(pg_server: PostgresServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A database with no schema at all, as DATABASE_URL."""
    yield from _fresh_database(pg_server, monkeypatch, template=None)


@pytest.fixture
def database_url(
    pg_server: PostgresServer, template_database: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """A migrated database of its own for this test, also set as DATABASE_URL."""
    yield from _fresh_database(pg_server, monkeypatch, template=TEMPLATE)


def _fresh_database(
    pg_server: PostgresServer, monkeypatch: pytest.MonkeyPatch, template: str | None
) -> Iterator[str]:
    name = f"pa_test_{os.getpid()}_{next(_counter)}"
    create = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    if template:
        create = sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
            sql.Identifier(name), sql.Identifier(template)
        )
    with psycopg.connect(pg_server.admin_url, autocommit=True) as conn:
        conn.execute(create)
    url = pg_server.url_for(name)
    monkeypatch.setenv("DATABASE_URL", url)
    for key, value in FAST_WORKER_SETTINGS.items():
        monkeypatch.setenv(key, value)
    reset_process_caches()
    try:
        yield url
    finally:
        reset_process_caches()
        with psycopg.connect(pg_server.admin_url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


# Short timings so that tests about heartbeats, rescue and restarts run in seconds.
FAST_WORKER_SETTINGS = {
    "PA_HEARTBEAT_INTERVAL_SECONDS": "0.5",
    "PA_STALLED_AFTER_SECONDS": "3",
    "PA_POLL_INTERVAL_SECONDS": "1",
    "PA_WATCHDOG_INTERVAL_SECONDS": "0.5",
    "PA_SHUTDOWN_TIMEOUT_SECONDS": "5",
    "PA_LOG_FORMAT": "json",
    # The machine's real load must never decide a test: guard tests set their own limits.
    "PA_RESOURCE_GUARD": "{}",
}


@pytest.fixture
def llm(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[ChatServer]:
    """A chat-completions server on loopback, configured as the product's language model."""
    with ChatServer() as server:
        monkeypatch.setenv("PA_LLM_BASE_URL", server.base_url)
        monkeypatch.setenv("PA_LLM_MODEL", "test-model")
        monkeypatch.setenv("PA_LLM_API_KEY", "sk-test")
        monkeypatch.setenv("PA_LLM_TIMEOUT_SECONDS", "1")
        # Tasks every few seconds keep worker tests short; the default minimum is a minute.
        monkeypatch.setenv("PA_AI_MIN_INTERVAL_SECONDS", "1")
        reset_process_caches()
        yield server
