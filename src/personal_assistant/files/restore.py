"""Load a backup into the current database, all of it or nothing, and only its data.

An archive is untrusted input: whoever can write the backup directory can write one.
So nothing in it is executed. Its rows go into the tables its manifest lists, through
``COPY ... FROM STDIN`` statements built here from the manifest's names; a pg_dump
archive's ``dump.sql`` is read as data (see ``dump``), and any statement in it that is
not data of those tables makes the whole archive refused before anything is written.

Checks before anything is written: the archive verifies (checksum, signature when
``PA_BACKUP_SIGNING_KEY`` is set, nothing but data, row counts); the database is at the
backup's schema revision (to restore an older backup, migrate a fresh database to that
revision, restore, then upgrade); every table is an application table of the
manifest's schema, looked up in that schema and not through the search path; and the
tables are empty unless ``replace`` is given. The load runs in one transaction that
also empties the tables (with ``replace``) and, before committing, compares every
table's row count with the manifest.
"""

from __future__ import annotations

import asyncio
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg import AsyncConnection, AsyncCopy, sql

from personal_assistant.errors import BadInput
from personal_assistant.files import archive as arc
from personal_assistant.files.catalog import (
    app_table_names,
    row_count,
    schema_revisions,
    sequence_owners,
    table_columns,
)
from personal_assistant.files.dump import (
    CopyEnd,
    CopyStart,
    DumpItem,
    SetValue,
    read_dump,
)
from personal_assistant.files.manifest import Manifest

CHUNK = 1 << 16


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


async def restore_backup(
    url: str, archive: Path, *, replace: bool = False, signing_key: bytes | None = None
) -> RestoreResult:
    report = await asyncio.to_thread(arc.verify_backup, archive, signing_key)
    if not report.ok or report.manifest is None:
        raise arc.BackupCorrupt(
            f"backup {report.name} failed verification ({report.problems[0]}); nothing restored"
        )
    manifest = report.manifest
    # COPY data is UTF-8 text, whatever the server's or the environment's encoding.
    async with await psycopg.AsyncConnection.connect(url, client_encoding="utf8") as conn:
        non_empty = await _check_target(conn, manifest)
        if non_empty and not replace:
            table, rows = non_empty[0]
            raise BadInput(
                f"the database is not empty (table {table} has {rows} row(s)"
                f"{f' and {len(non_empty) - 1} more table(s)' if len(non_empty) > 1 else ''}"
                "); pass --yes to replace the contents of the backed-up tables"
            )
        try:
            async with conn.transaction():
                if replace:
                    await conn.execute(_truncate(manifest))
                with tarfile.open(archive, "r:gz") as tar:
                    if manifest.method == "copy":
                        await _load_copy_files(conn, manifest, tar)
                    else:
                        await _load_dump(conn, manifest, tar)
                await _set_sequences(
                    conn, manifest, [(s.name, s.value, s.is_called) for s in manifest.sequences]
                )
                await _check_counts(conn, manifest)
        except arc.UNREADABLE as exc:  # DumpRefused is a ValueError
            # The archive changed since it was verified: still nothing was written.
            raise arc.BackupCorrupt(
                f"backup {report.name} cannot be restored ({exc}); nothing restored"
            ) from None
    return RestoreResult(
        name=manifest.name,
        method=manifest.method,
        tables=len(manifest.tables),
        rows=manifest.rows,
        replaced=bool(non_empty),
    )


async def _check_target(conn: AsyncConnection[Any], manifest: Manifest) -> list[tuple[str, int]]:
    """Refuse a database the backup does not fit; return its non-empty tables."""
    schema = manifest.schema_name
    current = await schema_revisions(conn, schema)
    if not current:
        raise BadInput(
            f"the database has no application tables in schema {schema!r} yet; "
            "run `pa-tasks db upgrade` first"
        )
    if sorted(current) != sorted(manifest.schema_revisions):
        raise BadInput(
            f"the backup was taken at schema revision "
            f"{', '.join(manifest.schema_revisions) or 'none'} but the database is at "
            f"{', '.join(current)}; restore into a database migrated to the backup's revision "
            "(`pa-tasks db upgrade REVISION`), then upgrade it"
        )
    # Only the application's own tables: never the queue's, never alembic's.
    known = set(await app_table_names(conn, schema))
    non_empty = []
    for table in manifest.tables:
        if table.name not in known:
            raise BadInput(
                f"table {table.name!r} of the backup is not an application table of "
                f"schema {schema!r} in this database; nothing restored"
            )
        missing = set(table.columns) - set(await table_columns(conn, schema, table.name))
        if missing:
            raise BadInput(
                f"table {table.name} has no column {sorted(missing)[0]!r} in this database; "
                "nothing restored"
            )
        rows = await row_count(conn, schema, table.name)
        if rows:
            non_empty.append((table.name, rows))
    await conn.rollback()
    return non_empty


def _truncate(manifest: Manifest) -> sql.Composed:
    return sql.SQL("TRUNCATE {}").format(
        sql.SQL(", ").join(sql.Identifier(manifest.schema_name, t.name) for t in manifest.tables)
    )


def _copy_in(manifest: Manifest, table: str) -> sql.Composed:
    entry = manifest.table(table)
    assert entry is not None  # the dump reader admits only the manifest's tables
    return sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(manifest.schema_name, table),
        sql.SQL(", ").join(map(sql.Identifier, entry.columns)),
    )


async def _load_copy_files(
    conn: AsyncConnection[Any], manifest: Manifest, tar: tarfile.TarFile
) -> None:
    for table in manifest.tables:
        source = arc.member(tar, arc.copy_member(table.name))
        async with conn.cursor().copy(_copy_in(manifest, table.name)) as copy:
            while chunk := source.read(CHUNK):
                await copy.write(chunk)


async def _load_dump(conn: AsyncConnection[Any], manifest: Manifest, tar: tarfile.TarFile) -> None:
    items = read_dump(arc.lines(arc.member(tar, arc.DUMP_MEMBER)), manifest)
    values: list[tuple[str, int, bool]] = []
    for item in items:
        if isinstance(item, CopyStart):
            async with conn.cursor().copy(_copy_in(manifest, item.table)) as copy:
                await _copy_rows(copy, items)
        elif isinstance(item, SetValue):
            values.append((item.sequence, item.value, item.is_called))
    await _set_sequences(conn, manifest, values)


async def _copy_rows(copy: AsyncCopy, items: Iterator[DumpItem]) -> None:
    """Send the rows of the current COPY block, in chunks, up to its end."""
    buffer: list[str] = []
    size = 0
    for item in items:
        if isinstance(item, CopyEnd):
            break
        assert isinstance(item, str)  # inside a block the reader yields rows only
        buffer.append(item + "\n")
        size += len(item) + 1
        if size >= CHUNK:
            await copy.write("".join(buffer).encode())
            buffer, size = [], 0
    if buffer:
        await copy.write("".join(buffer).encode())


async def _set_sequences(
    conn: AsyncConnection[Any], manifest: Manifest, values: list[tuple[str, int, bool]]
) -> None:
    """Set sequences, but only those owned by one of the backup's tables."""
    if not values:
        return
    owners = await sequence_owners(conn, manifest.schema_name)
    tables = {table.name for table in manifest.tables}
    for name, value, is_called in values:
        if owners.get(name) not in tables:
            raise BadInput(
                f"sequence {name!r} of the backup does not belong to one of its tables; "
                "nothing restored"
            )
        await conn.execute(
            "SELECT setval(%s::regclass, %s, %s)",
            (sql.Identifier(manifest.schema_name, name).as_string(conn), value, is_called),
        )


async def _check_counts(conn: AsyncConnection[Any], manifest: Manifest) -> None:
    for table in manifest.tables:
        rows = await row_count(conn, manifest.schema_name, table.name)
        if rows != table.rows:
            raise arc.BackupError(
                f"table {table.name} has {rows} row(s) after loading, the backup "
                f"has {table.rows}; the restore was rolled back"
            )
