"""The audit trail of actions people and assistants take through the dashboard and the
MCP server: who, what, on what, how many, when."""
