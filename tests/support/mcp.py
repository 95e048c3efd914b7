"""Fixtures' helpers: an ``mcpServers`` config naming the test MCP server over stdio and
over HTTP, and the HTTP server as a real process on loopback."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.support.reset import reset_process_caches

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def http_mcp_server(probe_log: Path) -> Iterator[str]:
    """The test server on streamable HTTP; yields its URL."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.support.mcp_server", "--http", str(port)],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "MCP_PROBE_LOG": str(probe_log)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError("the MCP test server did not start") from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        process.terminate()
        process.wait(10)


def write_config(path: Path, probe_log: Path, http_url: str | None = None) -> Path:
    """``probe``: the server over stdio; ``web``: over HTTP when a URL is given."""
    servers: dict[str, Any] = {
        "probe": {
            "command": sys.executable,
            "args": ["-m", "tests.support.mcp_server"],
            "cwd": str(ROOT),
            "env": {"MCP_PROBE_LOG": str(probe_log)},
        }
    }
    if http_url:
        servers["web"] = {"url": http_url}
    path.write_text(json.dumps({"mcpServers": servers}), encoding="utf-8")
    return path


def probe_calls(probe_log: Path) -> list[dict[str, Any]]:
    if not probe_log.exists():
        return []
    return [json.loads(line) for line in probe_log.read_text().splitlines() if line.strip()]


@pytest.fixture
def probe_log(tmp_path: Path) -> Path:
    return tmp_path / "probe.jsonl"


@pytest.fixture
def mcp_config(
    database_url: str, tmp_path: Path, probe_log: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """PA_MCP_CONFIG naming the test server over stdio (``probe``) and HTTP (``web``)."""
    with http_mcp_server(probe_log) as url:
        path = write_config(tmp_path / "mcp.json", probe_log, url)
        monkeypatch.setenv("PA_MCP_CONFIG", str(path))
        reset_process_caches()
        yield path
