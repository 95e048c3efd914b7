"""``PA_MCP_CONFIG``: the MCP servers this system may call, in the shared ``mcpServers`` format.

```json
{"mcpServers": {
  "time": {"command": "uvx", "args": ["mcp-server-time"], "env": {"TZ": "UTC"}},
  "docs": {"url": "http://127.0.0.1:8000/mcp", "headers": {"Authorization": "Bearer ..."}}
}}
```

A server has either a ``command`` (stdio: started for each call, with only the variables
of ``env`` on top of a minimal environment) or a ``url`` (streamable HTTP). Keys other
clients add (``disabled``, ``alwaysAllow``...) are ignored; ``timeout_seconds`` overrides
``PA_MCP_TIMEOUT_SECONDS`` for one server.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from personal_assistant.errors import BadInput, ConfigError
from personal_assistant.settings import get_settings

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_\-]{0,63}")


class UnknownServer(BadInput):
    """No MCP server of that name is configured."""


@dataclass(frozen=True)
class ServerConfig:
    name: str
    command: str | None = None
    args: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    cwd: str | None = None
    url: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    timeout_seconds: float | None = None

    @property
    def transport(self) -> str:
        return "stdio" if self.command else "http"

    def describe(self) -> str:
        if self.command:
            return " ".join([self.command, *self.args])
        return self.url or ""

    def as_json(self) -> dict[str, Any]:
        """What listings show: never env values or headers (they may hold secrets)."""
        return {
            "name": self.name,
            "transport": self.transport,
            "command": self.command,
            "args": list(self.args),
            "env": sorted(self.env),
            "url": self.url,
            "timeout_seconds": self.timeout_seconds,
        }


def _strings(value: Any, where: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise ConfigError(f"{where} must be an object of strings")
    return dict(value)


def _server(name: str, entry: Any, source: Path) -> ServerConfig:
    where = f"PA_MCP_CONFIG ({source}): server {name!r}"
    if not NAME.fullmatch(name):
        raise ConfigError(f"{where}: a name is letters, digits, '-' and '_' (at most 64)")
    if not isinstance(entry, dict):
        raise ConfigError(f"{where} must be an object")
    command, url = entry.get("command"), entry.get("url")
    if bool(command) == bool(url):
        raise ConfigError(f"{where} needs either a 'command' (stdio) or a 'url' (HTTP)")
    args = entry.get("args", [])
    if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
        raise ConfigError(f"{where}: 'args' must be a list of strings")
    if url is not None and (
        not isinstance(url, str) or not url.startswith(("http://", "https://"))
    ):
        raise ConfigError(f"{where}: 'url' must be an http:// or https:// URL")
    if command is not None and not isinstance(command, str):
        raise ConfigError(f"{where}: 'command' must be a string")
    timeout = entry.get("timeout_seconds")
    if timeout is not None and (
        isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 0 < timeout <= 3600
    ):
        raise ConfigError(f"{where}: 'timeout_seconds' must be a number from 0 to 3600")
    cwd = entry.get("cwd")
    if cwd is not None and not isinstance(cwd, str):
        raise ConfigError(f"{where}: 'cwd' must be a string")
    return ServerConfig(
        name=name,
        command=command,
        args=tuple(args),
        env=_strings(entry.get("env"), f"{where}: 'env'"),
        cwd=cwd,
        url=url,
        headers=_strings(entry.get("headers"), f"{where}: 'headers'"),
        timeout_seconds=float(timeout) if timeout is not None else None,
    )


def load_servers(path: Path | None = None) -> dict[str, ServerConfig]:
    """The configured servers by name; none when ``PA_MCP_CONFIG`` is unset."""
    source = path if path is not None else get_settings().mcp_config
    if source is None:
        return {}
    try:
        document = json.loads(Path(source).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"PA_MCP_CONFIG: cannot read {source}: {exc.strerror}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"PA_MCP_CONFIG: {source} is not valid JSON ({exc})") from None
    servers = document.get("mcpServers") if isinstance(document, dict) else None
    if not isinstance(servers, dict):
        raise ConfigError(f'PA_MCP_CONFIG: {source} needs an object {{"mcpServers": {{...}}}}')
    return {name: _server(name, entry, Path(source)) for name, entry in servers.items()}


def server_named(name: str) -> ServerConfig:
    servers = load_servers()
    if name in servers:
        return servers[name]
    known = ", ".join(sorted(servers)) or "none (set PA_MCP_CONFIG)"
    raise UnknownServer(f"unknown MCP server {name!r}; configured servers: {known}")
