"""The test MCP server, configured over stdio (``probe``) and HTTP (``web``)."""

from tests.support.mcp import mcp_config, probe_log

__all__ = ["mcp_config", "probe_log"]
