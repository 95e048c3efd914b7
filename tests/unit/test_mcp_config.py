"""``PA_MCP_CONFIG``: the shared ``mcpServers`` format, and one clear line for each mistake."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from personal_assistant.errors import ConfigError
from personal_assistant.mcp_client.config import UnknownServer, load_servers, server_named
from personal_assistant.mcp_client.patterns import allows, check_patterns, split_patterns
from tests.support.reset import reset_process_caches


def write(tmp_path: Path, document: Any) -> Path:
    path = tmp_path / "mcp.json"
    path.write_text(document if isinstance(document, str) else json.dumps(document))
    return path


def test_stdio_and_http_servers_are_read(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        {
            "mcpServers": {
                "time": {"command": "uvx", "args": ["mcp-server-time"], "env": {"TZ": "UTC"}},
                "docs": {
                    "url": "https://docs.example/mcp",
                    "headers": {"X-Key": "k"},
                    "timeout_seconds": 5,
                    "disabled": False,
                },
            }
        },
    )
    servers = load_servers(path)
    assert servers["time"].transport == "stdio" and servers["time"].args == ("mcp-server-time",)
    assert servers["docs"].transport == "http" and servers["docs"].timeout_seconds == 5
    shown = servers["docs"].as_json() | servers["time"].as_json()
    assert "k" not in json.dumps(servers["docs"].as_json()) and shown["env"] == ["TZ"]


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ("{not json", "is not valid JSON"),
        ({"servers": {}}, 'needs an object {"mcpServers"'),
        ({"mcpServers": {"x": {}}}, "needs either a 'command' (stdio) or a 'url' (HTTP)"),
        ({"mcpServers": {"x": {"command": "a", "url": "http://b"}}}, "needs either"),
        ({"mcpServers": {"x y": {"command": "a"}}}, "a name is letters, digits"),
        ({"mcpServers": {"x": {"command": "a", "args": "b"}}}, "'args' must be a list of strings"),
        (
            {"mcpServers": {"x": {"command": "a", "env": {"A": 1}}}},
            "'env' must be an object of strings",
        ),
        (
            {"mcpServers": {"x": {"url": "file:///etc/passwd"}}},
            "must be an http:// or https:// URL",
        ),
        ({"mcpServers": {"x": {"url": "http://a", "timeout_seconds": 0}}}, "'timeout_seconds'"),
    ],
)
def test_mistakes_are_one_line(tmp_path: Path, document: Any, expected: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_servers(write(tmp_path, document))
    assert expected in str(raised.value) and "\n" not in str(raised.value)


def test_a_missing_file_and_an_unknown_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_servers(tmp_path / "absent.json")
    monkeypatch.setenv(
        "PA_MCP_CONFIG", str(write(tmp_path, {"mcpServers": {"time": {"command": "t"}}}))
    )
    reset_process_caches()
    try:
        with pytest.raises(UnknownServer, match="configured servers: time"):
            server_named("docs")
        assert check_patterns(split_patterns("time.get_current_time, time.*,time.*")) == [
            "time.get_current_time",
            "time.*",
        ]
        assert allows(["time.*"], "time", "anything") and not allows(["time.a"], "time", "b")
    finally:
        monkeypatch.delenv("PA_MCP_CONFIG")
        reset_process_caches()
