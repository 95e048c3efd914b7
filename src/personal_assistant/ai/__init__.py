"""AI tasks: users' scheduled instructions, run in the background by an agent with tools."""
