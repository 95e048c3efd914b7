"""``pa-tasks``: the admin command line."""

from __future__ import annotations

import sys

import typer
from typer._click.exceptions import NoArgsIsHelpError

from personal_assistant.cli import ai as ai_cli
from personal_assistant.cli import backup as backup_cli
from personal_assistant.cli import breakers as breakers_cli
from personal_assistant.cli import chains as chains_cli
from personal_assistant.cli import db, jobs, queues, runtime, schedule
from personal_assistant.cli import email as email_cli
from personal_assistant.cli import events as events_cli
from personal_assistant.cli import mcp as mcp_cli
from personal_assistant.cli import sync as sync_cli
from personal_assistant.cli.defer import defer_command
from personal_assistant.cli.health import health_command
from personal_assistant.cli.history import history_command
from personal_assistant.cli.metrics import metrics_command
from personal_assistant.cli.overview import tasks_command
from personal_assistant.cli.runtime import fail, translate, unusable_argument
from personal_assistant.cli.stats import stats_command
from personal_assistant.cli.worker import up_command, worker_command
from personal_assistant.settings import get_settings

app = typer.Typer(
    name="pa-tasks",
    help="Durable background tasks for the personal assistant, on PostgreSQL.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    # Plain help: the rich renderer labels every flag ``<bool>``.
    rich_markup_mode=None,
)
app.command("defer")(defer_command)
app.command("tasks")(tasks_command)
app.command("worker")(worker_command)
app.command("up")(up_command)
app.command("health")(health_command)
app.command("history")(history_command)
app.command("stats")(stats_command)
app.command("metrics")(metrics_command)
app.add_typer(jobs.app, name="jobs")
app.add_typer(queues.app, name="queues")
app.add_typer(breakers_cli.app, name="breakers")
app.add_typer(ai_cli.app, name="ai")
app.add_typer(email_cli.app, name="email")
app.add_typer(chains_cli.app, name="chains")
app.add_typer(db.app, name="db")
app.add_typer(schedule.app, name="schedule")
app.add_typer(backup_cli.app, name="backup")
app.add_typer(sync_cli.app, name="sync")
app.add_typer(events_cli.app, name="events")
app.add_typer(mcp_cli.app, name="mcp")


def usage_line(exc: typer.TyperException) -> str:
    """A usage error from the command-line framework as one line, naming the command."""
    message = " ".join(exc.format_message().split())
    context = getattr(exc, "ctx", None)
    if context is None:
        return message
    return f"{message} (see `{context.command_path} --help`)"


def main(argv: list[str] | None = None) -> None:
    """Entry point: every failure is one line on stderr and a non-zero exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    runtime.set_argv(argv)
    reason = unusable_argument(argv)
    if reason:
        fail(reason)
    try:
        if not {"--help", "-h"} & set(argv):
            get_settings()  # every setting is checked before any command runs
        status = app(args=argv, prog_name="pa-tasks", standalone_mode=False)
    except typer.Abort:
        raise SystemExit(130) from None
    except NoArgsIsHelpError as exc:  # a bare group: its help, as before
        exc.show()
        raise SystemExit(exc.exit_code) from None
    except typer.TyperException as exc:  # usage errors: one line, like every other error
        fail(usage_line(exc), getattr(exc, "exit_code", 2))
    except KeyboardInterrupt:
        raise SystemExit(130) from None
    except Exception as exc:
        error = translate(exc)
        if error is None:
            raise
        fail(str(error), error.exit_code)
    if isinstance(status, int) and status:
        raise SystemExit(status)


if __name__ == "__main__":
    main(sys.argv[1:])
