"""``pa-tasks db``: where the database is, and its schema."""

from __future__ import annotations

import typer

from personal_assistant.db import migrate
from personal_assistant.db.url import database_url
from personal_assistant.settings import get_settings

app = typer.Typer(help="The database: URL, migrations, embedded server.", no_args_is_help=True)


@app.command("url")
def url() -> None:
    """Print the database URL in use: psql "$(pa-tasks db url)"."""
    typer.echo(database_url())


@app.command("upgrade")
def upgrade(revision: str = typer.Argument("heads", help="Target revision.")) -> None:
    """Apply migrations (same as `alembic upgrade head`)."""
    migrate.upgrade(database_url(), revision)
    typer.echo(f"database at revision {migrate.current_revision(database_url())}")


@app.command("current")
def current() -> None:
    """Print the database's schema revision."""
    typer.echo(migrate.current_revision(database_url()) or "none")


@app.command("check")
def check() -> None:
    """Fail unless the database is at head and the models match the migrations."""
    head = migrate.check(database_url())
    typer.echo(f"schema ok at revision {head}")


@app.command("stop")
def stop() -> None:
    """Stop the embedded PostgreSQL server (no-op with DATABASE_URL)."""
    from personal_assistant import embedded

    settings = get_settings()
    if settings.database_url:
        typer.echo("DATABASE_URL is set: no embedded server to stop")
        return
    if (settings.embedded_data_dir / "postmaster.pid").exists():
        _warn_connected_workers(settings.stalled_after_seconds)
    stopped = embedded.stop(settings.embedded_data_dir)
    typer.echo("embedded server stopped" if stopped else "embedded server was not running")


def _warn_connected_workers(stalled_after: float) -> None:
    """Say so when live workers use the server: they will wait until it is back."""
    import psycopg

    query = (
        "SELECT count(*) FROM procrastinate_workers"
        " WHERE last_heartbeat > now() - make_interval(secs => %s)"
    )
    try:
        with psycopg.connect(database_url(), connect_timeout=5) as conn:
            row = conn.execute(query, (stalled_after,)).fetchone()
    except psycopg.Error:
        return  # no schema yet, or the server is going away anyway: nothing to warn about
    live = int(row[0]) if row else 0
    if live:
        typer.echo(
            f"warning: {live} worker(s) are connected; they wait, without running jobs, "
            "until the server is started again (any `pa-tasks` command starts it)",
            err=True,
        )
