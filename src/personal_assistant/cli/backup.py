"""``pa-tasks backup``: list, create, verify and restore backups of the application's data."""

from __future__ import annotations

import typer

from personal_assistant.cli.output import table
from personal_assistant.cli.runtime import console, print_json, run
from personal_assistant.db.url import database_url
from personal_assistant.files import archive as arc
from personal_assistant.files.backup import BackupResult, create_backup, unused_second
from personal_assistant.files.restore import restore_backup
from personal_assistant.files.signing import configured_key
from personal_assistant.settings import get_settings

app = typer.Typer(
    help="Backups of the application's tables (in PA_BACKUP_DIR).", no_args_is_help=True
)


@app.command("list")
def list_command(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Backups, oldest first."""
    directory = get_settings().backup_dir
    rows = [info.as_json() for info in arc.list_backups(directory)]
    if as_json:
        print_json(rows)
        return
    table(
        f"Backups in {directory}",
        ["name", "method", "tables", "rows", "size", "checksum"],
        (
            [
                r["name"],
                r["method"],
                r["tables"],
                r["rows"],
                _size(r["size_bytes"]),
                "yes" if r["has_checksum"] else "MISSING",
            ]
            for r in rows
        ),
    )


@app.command("create")
def create_command(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Make a backup now, in this process, and prune old ones (PA_BACKUP_KEEP)."""
    result = run(_create())
    if as_json:
        print_json(result.as_json())
        return
    console.print(
        f"backup {result.name}: {result.rows} row(s) in {result.tables} table(s) "
        f"via {result.method}, {_size(result.size_bytes)}, sha256 {result.sha256[:16]}…"
    )
    if result.note:
        console.print(f"  note: {result.note}")
    for name in result.removed:
        console.print(f"  removed old backup {name}")


async def _create() -> BackupResult:
    settings = get_settings()
    return await create_backup(
        database_url(),
        settings.backup_dir,
        taken_at=await unused_second(settings.backup_dir),
        keep=settings.backup_keep,
        method=settings.backup_method,
        signing_key=configured_key(),
    )


@app.command("verify")
def verify_command(
    name: str = typer.Argument(..., help="Backup name, from `pa-tasks backup list`."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Check a backup's checksum (and signature), that it holds nothing but its tables'
    data, and that every table's data is whole."""
    report = arc.verify_backup(
        arc.resolve_backup(get_settings().backup_dir, name), configured_key()
    )
    if as_json:
        print_json(report.as_json())
        if not report.ok:
            raise SystemExit(arc.BackupCorrupt.exit_code)
        return
    if not report.ok:
        raise arc.BackupCorrupt(f"backup {report.name} is damaged: {'; '.join(report.problems)}")
    assert report.manifest is not None  # an intact report has read it
    signed = ", signature valid" if configured_key() else ""
    console.print(
        f"backup {report.name} is intact: sha256 matches{signed}, "
        f"{report.manifest.rows} row(s) in {len(report.manifest.tables)} table(s)"
    )


@app.command("restore")
def restore_command(
    name: str = typer.Argument(..., help="Backup name, from `pa-tasks backup list`."),
    yes: bool = typer.Option(False, "--yes", help="Replace the contents of non-empty tables."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Load a backup into the current database (one transaction: all or nothing)."""
    archive = arc.resolve_backup(get_settings().backup_dir, name)
    result = run(restore_backup(database_url(), archive, replace=yes, signing_key=configured_key()))
    if as_json:
        print_json(result.as_json())
        return
    replaced = " (previous contents replaced)" if result.replaced else ""
    console.print(
        f"restored {result.name}: {result.rows} row(s) in {result.tables} table(s){replaced}"
    )


def _size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"
