"""Calling tools of MCP servers: configuration, connections, validated calls and the
``mcp:call_tool`` task's service.

Servers are configured in the ``mcpServers`` JSON format that MCP clients share
(``PA_MCP_CONFIG``). The package is not named ``mcp``: that is the SDK it uses.
"""
