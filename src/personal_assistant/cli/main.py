"""``pa-tasks``: the admin command line."""

from __future__ import annotations

import gc
import importlib
import sys
from dataclasses import dataclass
from typing import Any

import typer
from typer._click.exceptions import NoArgsIsHelpError


@dataclass(frozen=True)
class Command:
    """A command of ``pa-tasks``: where it lives, and its line in ``pa-tasks --help``."""

    module: str
    attribute: str  # a ``typer.Typer`` (a group of commands) or a command function
    help: str


# Only the command being run is imported: ``pa-tasks --help`` and a mistyped command load
# none, so the CLI answers at once. A test keeps each line equal to the command's own help.
COMMANDS: dict[str, Command] = {
    "defer": Command(
        "defer",
        "defer_command",
        "Defer a job (or a chain of jobs, with --then) and print the (first) job's id.",
    ),
    "queues": Command(
        "queues", "app", "Job counts per queue (the default); pause, resume and scale queues."
    ),
    "tasks": Command(
        "overview",
        "tasks_command",
        "Every registered task with its queue, retry policy, timeout and cadence.",
    ),
    "worker": Command(
        "worker", "worker_command", "Run a supervised worker; SIGTERM/SIGINT stop it gracefully."
    ),
    "up": Command(
        "up",
        "up_command",
        "Migrate, then run one worker on every queue with the periodic jobs.",
    ),
    "health": Command(
        "health",
        "health_command",
        "Check the database, schema, workers, stalled jobs, breakers and scheduler heartbeat.",
    ),
    "stats": Command(
        "stats",
        "stats_command",
        "Throughput, failure rate and p50/p95 duration per task, from the job event log.",
    ),
    "metrics": Command(
        "metrics",
        "metrics_command",
        "Serve queue depth, oldest due job, stalled jobs, workers and breakers until stopped.",
    ),
    "web": Command(
        "web", "web_command", "Serve the dashboard; off loopback only with credentials configured."
    ),
    "jobs": Command("jobs", "app", "Inspect and act on jobs."),
    "breakers": Command(
        "breakers",
        "app",
        "Circuit breakers of external dependencies (llm, smtp, calendar, webhook, ...).",
    ),
    "ai": Command("ai", "app", "AI tasks: scheduled instructions run by an agent with tools."),
    "email": Command("email", "app", "The email outbox."),
    "chains": Command("chains", "app", "Job chains: defer A --then B --then C."),
    "db": Command("db", "app", "The database: URL, migrations, embedded server."),
    "schedule": Command(
        "schedule", "app", "Schedules: natural language, cron or ISO; stored and editable."
    ),
    "backup": Command("backup", "app", "Backups of the application's tables (in PA_BACKUP_DIR)."),
    "sync": Command("sync", "app", "Sync ICS calendars and Notion databases."),
    "events": Command("events", "app", "Calendar events synced from ICS feeds."),
    "history": Command(
        "history",
        "history_command",
        "Every execution, newest first, with its outcome and duration.",
    ),
    "mcp": Command(
        "mcp", "app", "MCP: call tools of configured servers; serve this system to assistants."
    ),
}


def load(name: str) -> tuple[Any, bool]:
    """The click command holding ``pa-tasks NAME``, imported now, and whether it is the
    group around it (then NAME is its first argument) or the command itself."""
    command = COMMANDS[name]
    target = getattr(
        importlib.import_module(f"personal_assistant.cli.{command.module}"), command.attribute
    )
    holder = typer.Typer(
        add_completion=False, pretty_exceptions_enable=False, rich_markup_mode=None
    )
    if isinstance(target, typer.Typer):
        holder.add_typer(target, name=name)
    else:
        holder.command(name)(target)
    return typer.main.get_command(holder), isinstance(target, typer.Typer)


def _dispatcher(name: str) -> Any:
    def dispatch(ctx: typer.Context) -> Any:
        command, is_group = load(name)
        root = ctx.find_root().info_name
        if is_group:
            return command.main(args=[name, *ctx.args], prog_name=root, standalone_mode=False)
        return command.main(args=ctx.args, prog_name=f"{root} {name}", standalone_mode=False)

    return dispatch


app = typer.Typer(
    name="pa-tasks",
    help="Durable background tasks for the personal assistant, on PostgreSQL.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    # Plain help: the rich renderer labels every flag ``<bool>``, and importing rich for
    # every ``--help`` would slow it down.
    rich_markup_mode=None,
)
for _name, _command in COMMANDS.items():
    # Everything after the name, --help included, goes to the command once loaded.
    app.command(
        _name,
        help=_command.help,
        add_help_option=False,
        context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    )(_dispatcher(_name))


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
    try:
        if not {"--help", "-h"} & set(argv) and argv:
            from personal_assistant.cli import runtime
            from personal_assistant.settings import get_settings

            runtime.set_argv(argv)
            reason = runtime.unusable_argument(argv)
            if reason:
                runtime.fail(reason)
            get_settings()  # every setting is checked before any command runs
        status = app(args=argv, prog_name="pa-tasks", standalone_mode=False)
    except typer.Abort:
        raise SystemExit(130) from None
    except NoArgsIsHelpError as exc:  # a bare group: its help, as before
        exc.show()
        raise SystemExit(exc.exit_code) from None
    except typer.TyperException as exc:  # usage errors: one line, like every other error
        from personal_assistant.cli.runtime import fail

        fail(usage_line(exc), getattr(exc, "exit_code", 2))
    except KeyboardInterrupt:
        raise SystemExit(130) from None
    except Exception as exc:
        from personal_assistant.cli.runtime import fail, translate

        error = translate(exc)
        if error is None:
            raise
        fail(str(error), error.exit_code)
    if isinstance(status, int) and status:
        raise SystemExit(status)


def console_main() -> None:
    """The ``pa-tasks`` program: ``main``, then a quick exit."""
    try:
        main()
    finally:
        # At exit the interpreter's last collections walk every object of every imported
        # module (about 0.1 s, a fifth of a short command) to free memory the process
        # gives back anyway; frozen objects are skipped. Exit handlers and flushes still run.
        gc.freeze()


if __name__ == "__main__":
    console_main()
