"""``pa-tasks mcp``: configured MCP servers, their tools, one call now, and ``serve``."""

from __future__ import annotations

import json

import typer

from personal_assistant.cli.defer import parse_args_json
from personal_assistant.cli.output import table
from personal_assistant.cli.runtime import print_json, run

app = typer.Typer(
    help="MCP: call tools of configured servers; serve this system to assistants.",
    no_args_is_help=True,
)


@app.command("servers")
def servers(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """The servers of PA_MCP_CONFIG (env values and headers are never shown)."""
    from personal_assistant.mcp_client.config import load_servers

    found = load_servers()
    if as_json:
        print_json([server.as_json() for server in found.values()])
        return
    table(
        "MCP servers",
        ["name", "transport", "command or URL"],
        ([s.name, s.transport, s.describe()] for s in found.values()),
    )


@app.command("tools")
def tools(
    server: str = typer.Argument(..., help="A server of PA_MCP_CONFIG."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """The tools a server lists now, with their input schemas."""
    from personal_assistant.mcp_client.calls import list_tools

    found = run(list_tools(server))
    if as_json:
        print_json([tool.as_json() for tool in found])
        return
    table(
        f"Tools of {server}",
        ["name", "description", "arguments"],
        (
            [
                t.name,
                t.description.splitlines()[0] if t.description else "",
                ", ".join(t.input_schema.get("properties", {})),
            ]
            for t in found
        ),
    )


@app.command("call")
def call(
    server: str = typer.Argument(..., help="A server of PA_MCP_CONFIG."),
    tool: str = typer.Argument(..., help="One of its tools."),
    args: str = typer.Option("{}", "--args", help="The tool's arguments as a JSON object."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Call one tool now, here, with the same checks, timeout and breaker as a job."""
    from personal_assistant.mcp_client.calls import call_tool

    # The call checks the arguments against the schema the server lists before sending.
    result = run(call_tool(server, tool, parse_args_json(args)))
    if as_json:
        print_json(result.as_json())
        return
    if result.text:
        typer.echo(result.text)
    if result.structured is not None and not result.text:
        typer.echo(json.dumps(result.structured, indent=2))


@app.command("serve")
def serve(
    http: bool = typer.Option(False, "--http", help="Streamable HTTP instead of stdio."),
    host: str = typer.Option("127.0.0.1", "--host", help="Loopback address for --http."),
    port: int = typer.Option(8765, "--port", min=1, max=65535, help="Port for --http."),
    read_only: bool = typer.Option(False, "--read-only", help="Expose only reading tools."),
    tools: str | None = typer.Option(
        None, "--tools", help="Expose only these tools, comma-separated."
    ),
) -> None:
    """Serve this system to MCP clients (assistants): stdio, or HTTP on loopback."""
    from personal_assistant.logs import configure_logging
    from personal_assistant.mcp_server.server import build_server, check_host
    from personal_assistant.settings import get_settings

    allow = [t.strip() for t in tools.split(",") if t.strip()] if tools is not None else None
    server = build_server(read_only=read_only, allow=allow)
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)  # stderr: stdout is the protocol
    if http:
        server.run("streamable-http", host=check_host(host), port=port)
    else:
        server.run()
