"""The peers, measured in the same run as the product: Celery + Redis and pgqueuer.

Each peer runs in its own venv (``ops/bench/.peers-venv``, made on first use with pinned
versions), so none of its dependencies reaches the product's. Redis comes from Debian's
``redis-server`` package, installed with apt-get when missing and running as root.
Each drain is a child process (``peer_celery.py``, ``peer_pgqueuer.py``) that prints
one JSON line: jobs/s and CPU seconds per job.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from measures import BenchFailure, progress
from psycopg import sql

HERE = Path(__file__).resolve().parent
VENV = HERE / ".peers-venv"
REQUIREMENTS = [
    "celery[redis]==5.7.0",
    "redis==8.1.0",
    "pgqueuer==1.6.0",
    "psutil==7.2.2",
    "psycopg[binary]==3.3.9",
]
CELERY = "celery+redis"
PGQUEUER = "pgqueuer"


def _python() -> Path:
    return VENV / "bin" / "python"


def ensure_venv() -> Path:
    """The peers' venv, (re)installed when the pinned requirements change."""
    wanted = hashlib.sha256("\n".join(REQUIREMENTS).encode()).hexdigest()
    stamp = VENV / ".installed"
    if not stamp.exists() or stamp.read_text() != wanted:
        progress("installing the peers into ops/bench/.peers-venv ...")
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True)
        subprocess.run(
            [str(_python()), "-m", "pip", "install", "--quiet", *REQUIREMENTS], check=True
        )
        stamp.write_text(wanted)
    return _python()


def _redis_binary() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        progress("installing redis-server with apt-get ...")
        subprocess.run(["apt-get", "install", "-y", "-q", "redis-server"], check=True)
        found = shutil.which("redis-server")
    if not found:
        raise BenchFailure("redis-server is needed for the Celery peer (Debian: redis-server)")
    return found


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def redis_server() -> Iterator[str]:
    """A throwaway Redis on loopback, without persistence (its fastest setting)."""
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="pa-bench-redis-") as workdir:
        server = subprocess.Popen(
            [_redis_binary(), "--port", str(port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", workdir],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 10
            while True:
                with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port)):
                    break
                if time.monotonic() > deadline:
                    raise BenchFailure("redis-server did not start")
                time.sleep(0.05)
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            server.terminate()
            server.wait(10)


def _run(script: str, *args: str) -> dict[str, float]:
    done = subprocess.run(
        [str(_python()), str(HERE / script), *args], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise BenchFailure(f"{script} failed: {done.stderr.strip()[-500:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def drain_celery(redis_url: str, jobs: int) -> dict[str, float]:
    return _run("peer_celery.py", redis_url, str(jobs))


def drain_pgqueuer(admin_url: str, jobs: int) -> dict[str, float]:
    """pgqueuer in a fresh database of the same server, dropped afterwards."""
    name = f"pa_bench_{os.getpid()}_pgqueuer"
    url = urlunsplit(urlsplit(admin_url)._replace(path=f"/{name}"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        return _run("peer_pgqueuer.py", url, str(jobs))
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
