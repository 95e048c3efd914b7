"""The test MCP server, configured over stdio (``probe``) and HTTP (``web``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.mcp import http_mcp_server, write_config
from tests.support.reset import reset_process_caches


@pytest.fixture
def probe_log(tmp_path: Path) -> Path:
    return tmp_path / "probe.jsonl"


@pytest.fixture
def mcp_config(
    database_url: str, tmp_path: Path, probe_log: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    with http_mcp_server(probe_log) as url:
        path = write_config(tmp_path / "mcp.json", probe_log, url)
        monkeypatch.setenv("PA_MCP_CONFIG", str(path))
        reset_process_caches()
        yield path
