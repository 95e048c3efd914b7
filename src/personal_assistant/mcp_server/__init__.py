"""``pa-tasks mcp serve``: this system's own operations as MCP tools, for assistants.

Each tool calls the same service as the matching CLI command, so it checks its input
exactly as the CLI does. Not named ``mcp``: that is the SDK.
"""
