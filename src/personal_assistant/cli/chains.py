"""``pa-tasks chains``: job sequences started with ``pa-tasks defer ... --then ...``."""

from __future__ import annotations

import typer

from personal_assistant.chains import service
from personal_assistant.cli.output import as_json_text, table, when
from personal_assistant.cli.runtime import console, in_session, print_json
from personal_assistant.cli.terminal import styled

app = typer.Typer(help="Job chains: defer A --then B --then C.", no_args_is_help=True)


@app.command("list")
def list_chains(
    status: str | None = typer.Option(None, help="running, succeeded or failed."),
    limit: int = typer.Option(50, min=1, max=10_000, help="At most this many, newest first."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List chains, newest first."""
    service.check_status(status)
    chains = in_session(lambda s: service.list_chains(s, status=status, limit=limit))
    if as_json:
        print_json([chain.as_json() for chain in chains])
        return
    table(
        "Chains",
        ["id", "status", "step", "tasks", "created", "error"],
        (
            [
                c.id,
                c.status,
                f"{c.current_step + 1}/{len(c.steps)}",
                " -> ".join(step["task"] for step in c.steps),
                when(c.created_at),
                c.error,
            ]
            for c in chains
        ),
    )


@app.command("show")
def show_chain(
    chain_id: int = typer.Argument(..., help="The chain id."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Show a chain's steps, their jobs and statuses."""
    chain = in_session(lambda s: service.get_chain(s, chain_id))
    if as_json:
        print_json(chain.as_json())
        return
    console.print(
        styled(
            (f"Chain {chain.id}", "bold"),
            "  ",
            (chain.status, "bold"),
            f"  created {when(chain.created_at)}",
        )
    )
    if chain.error:
        console.print(f"error {chain.error}")
    table(
        "Steps",
        ["step", "task", "args", "job", "status", "error"],
        (
            [
                s["step"] + 1,
                s["task"],
                as_json_text(s["args"]),
                s["job_id"],
                s["status"],
                s["error"],
            ]
            for s in chain.steps
        ),
    )
