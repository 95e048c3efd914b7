"""Load a backup into the current database, all of it or nothing.

Checks before anything is written: the archive verifies (checksum, row counts); the
database is at the backup's schema revision (to restore an older backup, migrate a
fresh database to that revision, restore, then upgrade); every table exists; and the
tables are empty unless ``replace`` is given. The load runs in one transaction that
also empties the tables (with ``replace``) and, before committing, compares every
table's row count with the manifest.
"""

from __future__ import annotations

import asyncio
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg import AsyncConnection, sql

from personal_assistant.errors import BadInput
from personal_assistant.files import archive as arc
from personal_assistant.files.catalog import row_count, schema_revisions
from personal_assistant.files.pgtools import find_tool, libpq_arguments, run_tool


@dataclass(frozen=True)
class RestoreResult:
    name: str
    method: str
    tables: int
    rows: int
    replaced: bool

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "method": self.method,
            "tables": self.tables,
            "rows": self.rows,
            "replaced": self.replaced,
        }


async def restore_backup(url: str, archive: Path, *, replace: bool = False) -> RestoreResult:
    report = await asyncio.to_thread(arc.verify_backup, archive)
    if not report.ok or report.manifest is None:
        raise arc.BackupCorrupt(
            f"backup {report.name} failed verification ({report.problems[0]}); nothing restored"
        )
    manifest = report.manifest
    with tempfile.TemporaryDirectory(prefix="pa-restore-") as staging:
        await asyncio.to_thread(_extract, archive, Path(staging))
        async with await psycopg.AsyncConnection.connect(url) as conn:
            non_empty = await _check_target(conn, manifest)
            if non_empty and not replace:
                table, rows = non_empty[0]
                raise BadInput(
                    f"the database is not empty (table {table} has {rows} row(s)"
                    f"{f' and {len(non_empty) - 1} more table(s)' if len(non_empty) > 1 else ''}"
                    "); pass --yes to replace the contents of the backed-up tables"
                )
            if manifest["method"] == "copy":
                await _load_copy(conn, manifest, Path(staging), replace)
            else:
                statements = _psql_statements(conn, manifest, replace)
        if manifest["method"] != "copy":
            await _load_psql(url, manifest, Path(staging), statements)
    tables = manifest["tables"]
    return RestoreResult(
        name=manifest["name"],
        method=manifest["method"],
        tables=len(tables),
        rows=sum(t["rows"] for t in tables),
        replaced=bool(non_empty),
    )


def _extract(archive: Path, target: Path) -> None:
    with tarfile.open(archive, "r:gz") as tar:
        tar.extractall(target, filter="data")  # no absolute paths, links or devices


async def _check_target(
    conn: AsyncConnection[Any], manifest: dict[str, Any]
) -> list[tuple[str, int]]:
    """Refuse a database the backup does not fit; return its non-empty tables."""
    current = await schema_revisions(conn)
    wanted = manifest["schema_revisions"]
    if not current:
        raise BadInput("the database has no schema yet; run `pa-tasks db upgrade` first")
    if sorted(current) != sorted(wanted):
        raise BadInput(
            f"the backup was taken at schema revision {', '.join(wanted) or 'none'} but the "
            f"database is at {', '.join(current)}; restore into a database migrated to the "
            "backup's revision (`pa-tasks db upgrade REVISION`), then upgrade it"
        )
    non_empty = []
    for table in manifest["tables"]:
        quoted = sql.Identifier(table["name"]).as_string(conn)
        exists = await (await conn.execute("SELECT to_regclass(%s)", (quoted,))).fetchone()
        if exists is None or exists[0] is None:
            raise BadInput(f"table {table['name']} of the backup does not exist in this database")
        rows = await row_count(conn, table["name"])
        if rows:
            non_empty.append((table["name"], rows))
    await conn.rollback()
    return non_empty


async def _load_copy(
    conn: AsyncConnection[Any], manifest: dict[str, Any], staging: Path, replace: bool
) -> None:
    tables = manifest["tables"]
    async with conn.transaction():
        if replace:
            await conn.execute(_truncate(tables))
        for table in tables:
            statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
                sql.Identifier(table["name"]),
                sql.SQL(", ").join(map(sql.Identifier, table["columns"])),
            )
            async with conn.cursor().copy(statement) as copy:
                with (staging / arc.copy_member(table["name"])).open("rb") as source:
                    for chunk in iter(lambda: source.read(1 << 16), b""):
                        await copy.write(chunk)
        for sequence in manifest.get("sequences", []):
            await conn.execute(
                "SELECT setval(%s::regclass, %s, %s)",
                (
                    sql.Identifier(sequence["name"]).as_string(conn),
                    sequence["value"],
                    sequence["is_called"],
                ),
            )
        for table in tables:
            rows = await row_count(conn, table["name"])
            if rows != table["rows"]:
                raise arc.BackupError(
                    f"table {table['name']} has {rows} row(s) after loading, the backup "
                    f"has {table['rows']}; the restore was rolled back"
                )


def _truncate(tables: list[dict[str, Any]]) -> sql.Composed:
    return sql.SQL("TRUNCATE {}").format(
        sql.SQL(", ").join(sql.Identifier(t["name"]) for t in tables)
    )


def _psql_statements(
    conn: AsyncConnection[Any], manifest: dict[str, Any], replace: bool
) -> tuple[str, str]:
    """SQL run before and after the dump, in its transaction.

    The dump empties ``search_path``, so every name here is schema-qualified.
    """
    tables = manifest["tables"]
    schema = manifest.get("schema") or "public"

    def qualified(name: str) -> str:
        return sql.Identifier(schema, name).as_string(conn)

    if replace:
        before = "TRUNCATE " + ", ".join(qualified(t["name"]) for t in tables)
    else:
        before = _do_block(
            f"IF EXISTS (SELECT 1 FROM {qualified(t['name'])}) THEN "  # nosec B608: quoted identifiers of checked tables
            f"RAISE EXCEPTION 'table {_message_text(t['name'])} is not empty'; END IF;"
            for t in tables
        )
    after = _do_block(
        f"SELECT count(*) INTO n FROM {qualified(t['name'])}; IF n <> {int(t['rows'])} THEN "  # nosec B608: quoted identifiers of checked tables
        f"RAISE EXCEPTION 'table {_message_text(t['name'])} has % row(s) after loading, "
        "the backup has "
        f"{int(t['rows'])}', n; END IF;"
        for t in tables
    )
    return before, after


def _message_text(name: str) -> str:
    """``name`` inside a RAISE message literal: quotes doubled, ``%`` not a placeholder."""
    return name.replace("'", "''").replace("%", "%%")


def _do_block(statements: Any) -> str:
    return "DO $restore$ DECLARE n bigint; BEGIN " + " ".join(statements) + " END $restore$;"


async def _load_psql(
    url: str, manifest: dict[str, Any], staging: Path, statements: tuple[str, str]
) -> None:
    # A dump needs a psql at least as new as the pg_dump that wrote it.
    choice = await asyncio.to_thread(find_tool, "psql", int(manifest.get("dump_major") or 0))
    if choice.tool is None:
        raise arc.BackupError(
            f"this backup was made by {manifest.get('tool')} and restoring it needs psql: "
            f"{choice.why_none('psql', int(manifest.get('dump_major') or 0))}"
        )
    conninfo, env = libpq_arguments(url)
    before, after = statements
    failure = await run_tool(
        choice.tool.path,
        [
            "--no-psqlrc",
            "--quiet",
            "--set=ON_ERROR_STOP=1",
            "--single-transaction",
            f"--command={before}",
            f"--file={staging / arc.DUMP_MEMBER}",
            f"--command={after}",
            f"--dbname={conninfo}",
        ],
        env,
    )
    if failure is not None:
        raise arc.BackupError(f"restore failed and was rolled back: {failure}")
