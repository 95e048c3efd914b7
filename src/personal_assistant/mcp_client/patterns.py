"""Which MCP tools an AI task may call: "server.tool" or "server.*" (every tool of a server)."""

from __future__ import annotations

import re

from personal_assistant.errors import BadInput
from personal_assistant.mcp_client.config import load_servers

PATTERN = re.compile(r"(?P<server>[A-Za-z0-9][A-Za-z0-9_\-]{0,63})\.(?P<tool>\*|[^\s*]{1,200})")
MAX_PATTERNS = 50


def split_patterns(text: str) -> list[str]:
    """'time.get_current_time, docs.*' -> ['time.get_current_time', 'docs.*']."""
    return [part.strip() for part in text.split(",") if part.strip()]


def check_patterns(patterns: list[str]) -> list[str]:
    """Each pattern well formed and naming a configured server; duplicates dropped."""
    if len(patterns) > MAX_PATTERNS:
        raise BadInput(f"at most {MAX_PATTERNS} MCP tool patterns, not {len(patterns)}")
    servers = load_servers() if patterns else {}
    checked: list[str] = []
    for pattern in patterns:
        match = PATTERN.fullmatch(pattern)
        if match is None:
            raise BadInput(
                f"MCP tool {pattern!r} is not 'server.tool' or 'server.*', "
                "e.g. time.get_current_time,docs.*"
            )
        if match["server"] not in servers:
            known = ", ".join(sorted(servers)) or "none (set PA_MCP_CONFIG)"
            raise BadInput(
                f"MCP tool {pattern!r} names unknown server {match['server']!r}; "
                f"configured servers: {known}"
            )
        if pattern not in checked:
            checked.append(pattern)
    return checked


def allows(patterns: list[str], server: str, tool: str) -> bool:
    return f"{server}.{tool}" in patterns or f"{server}.*" in patterns


def servers_of(patterns: list[str]) -> list[str]:
    found: list[str] = []
    for pattern in patterns:
        server = pattern.split(".", 1)[0]
        if server not in found:
            found.append(server)
    return found
