"""``pa-tasks breakers``: the circuit breakers every worker shares, and resetting one."""

from __future__ import annotations

import typer

from personal_assistant.cli.output import table, when
from personal_assistant.cli.runtime import in_session, print_json
from personal_assistant.resilience.breaker import list_breakers, reset_breaker

app = typer.Typer(
    help="Circuit breakers of external dependencies (llm, smtp, calendar, webhook, ...).",
    invoke_without_command=True,
)


def _show(as_json: bool) -> None:
    breakers = in_session(list_breakers)
    if as_json:
        print_json([b.as_json() for b in breakers])
        return
    table(
        "Circuit breakers",
        ["name", "state", "failures", "window since", "opened", "last error"],
        (
            [
                b.name,
                b.state,
                b.failures,
                when(b.window_started_at),
                when(b.opened_at),
                b.last_error,
            ]
            for b in breakers
        ),
    )


@app.callback()
def breakers(
    context: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List the breakers (the default), or reset one."""
    if context.invoked_subcommand is None:
        _show(as_json)


@app.command("list")
def list_command(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Every breaker with its state and recent failures."""
    _show(as_json)


@app.command("reset")
def reset_command(name: str = typer.Argument(..., help="The breaker's name, e.g. llm.")) -> None:
    """Close a breaker now and forget its failures."""
    in_session(lambda s: reset_breaker(s, name))
    typer.echo(f"breaker {name}: closed")
