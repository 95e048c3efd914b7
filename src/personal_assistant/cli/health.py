"""``pa-tasks health``: one verdict per part of the system; exit 1 if any part is broken."""

from __future__ import annotations

import typer

from personal_assistant.cli.output import table
from personal_assistant.cli.runtime import err_console, print_json, run
from personal_assistant.cli.terminal import styled
from personal_assistant.monitoring.health import health_report
from personal_assistant.settings import get_settings

STATUS_STYLE = {"ok": "green", "warn": "yellow", "fail": "bold red"}


def health_command(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Check the database, schema, workers, stalled jobs, breakers and scheduler heartbeat."""
    # A broken part is a verdict to report, not an error: every check runs and is shown.
    report = run(health_report(get_settings()))
    if as_json:
        print_json(report.as_json())
    else:
        table(
            "Health",
            ["check", "status", "detail"],
            ([c.name, styled((c.status, STATUS_STYLE[c.status])), c.detail] for c in report.checks),
        )
    for failure in report.failures:
        err_console.print(
            styled(("unhealthy:", "bold red"), f" {failure.name}: {failure.detail}"),
            soft_wrap=True,
        )
    if not report.healthy:
        raise SystemExit(1)
