"""Make a consistent backup of the application's tables (see ``catalog``).

Everything is read in ONE ``REPEATABLE READ`` snapshot. With a pg_dump of at least the
server's major version, pg_dump writes the data
from that very snapshot (``--snapshot``); otherwise each table is exported with
``COPY ... TO STDOUT`` in the snapshot's transaction. Either way the archive's manifest
records the row counts of the same snapshot, which ``verify`` and ``restore`` check.

This works on its own connection rather than an ``AsyncSession``: the snapshot must be
the first thing its transaction does, and pg_dump needs it exported and held open.

The directory is the owner's alone (0700) and so are the archive and the files beside
it (0600), from the moment each is created. With a signing key, each archive is signed.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from psycopg import AsyncConnection, IsolationLevel, sql
from psycopg.conninfo import conninfo_to_dict

from personal_assistant.files import archive as arc
from personal_assistant.files.catalog import (
    TableInfo,
    app_tables,
    owned_sequences,
    row_count,
    schema_revisions,
    server_major,
)
from personal_assistant.files.manifest import FORMAT_VERSION
from personal_assistant.files.pgtools import PgTool, find_tool, libpq_arguments, run_tool
from personal_assistant.files.private import open_private, private_dir
from personal_assistant.files.signing import sign
from personal_assistant.logs import log_fields

logger = logging.getLogger("personal_assistant.files")

METHODS = ("auto", "pg_dump", "copy")


@dataclass(frozen=True)
class MethodChoice:
    method: str
    dump_tool: PgTool | None
    note: str | None


def choose_method(requested: str, server: int) -> MethodChoice:
    """pg_dump when a compatible one exists, else COPY. (Restoring needs no client tool:
    the dump is read as data, see ``dump``.)"""
    if requested == "copy":
        return MethodChoice("copy", None, None)
    dump = find_tool("pg_dump", server)
    if dump.tool:
        return MethodChoice("pg_dump", dump.tool, None)
    reason = dump.why_none("pg_dump", server)
    if requested == "pg_dump":
        raise arc.BackupError(f"PA_BACKUP_METHOD is pg_dump but {reason}")
    return MethodChoice("copy", None, f"{reason}; exported with COPY instead")


@dataclass(frozen=True)
class BackupResult:
    name: str
    path: Path
    method: str
    tables: int
    rows: int
    size_bytes: int
    sha256: str
    removed: list[str]
    reused: bool
    note: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "path": str(self.path),
            "method": self.method,
            "tables": self.tables,
            "rows": self.rows,
            "size_bytes": self.size_bytes,
            "sha256": self.sha256,
            "removed": self.removed,
            "reused": self.reused,
            "note": self.note,
        }


async def create_backup(
    url: str,
    directory: Path,
    *,
    taken_at: datetime,
    keep: int,
    method: str = "auto",
    job_id: int | None = None,
    signing_key: bytes | None = None,
) -> BackupResult:
    """Write the backup named after ``taken_at`` (and ``job_id``); a valid one of that
    name is kept as is, so a retried job does not make a second copy."""
    name = arc.backup_name(taken_at, job_id)
    archive = arc.archive_path(directory, name)
    if archive.is_file():
        existing = await asyncio.to_thread(arc.verify_backup, archive, signing_key)
        if existing.ok and existing.manifest is not None:
            return _result(archive, existing.manifest.model_dump(by_alias=True), [], reused=True)
    staging = await asyncio.to_thread(_staging_dir, directory, name)
    try:
        manifest = await _export(url, staging, name, taken_at, method)
        manifest["job_id"] = job_id
        await asyncio.to_thread(_pack, staging, archive, manifest, signing_key)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    removed = arc.prune_backups(directory, keep)
    result = _result(archive, manifest, removed, reused=False)
    logger.info(
        "backup %s written (%s, %d rows)",
        name,
        result.method,
        result.rows,
        extra=log_fields("backup_created", result.as_json()),
    )
    return result


async def unused_second(directory: Path) -> datetime:
    """Now, or the next second when a backup already bears this second's name.

    Names are per second and ``create_backup`` keeps an archive of its name (a retried job
    must not copy twice), so a backup taken by hand waits for a name of its own rather
    than return, or replace, one taken moments before.
    """
    taken_at = datetime.now(UTC)
    while arc.archive_path(directory, arc.backup_name(taken_at)).exists():
        await asyncio.sleep(1 - taken_at.microsecond / 1_000_000)
        taken_at = datetime.now(UTC)
    return taken_at


def _staging_dir(directory: Path, name: str) -> Path:
    # Inside the backup directory, so the finished archive is renamed, not copied.
    private_dir(directory)
    return Path(tempfile.mkdtemp(prefix=f".{name}-", dir=directory))


def _result(
    archive: Path, manifest: dict[str, Any], removed: list[str], *, reused: bool
) -> BackupResult:
    digest = arc.checksum_path(archive).read_text().split()[0]
    return BackupResult(
        name=manifest["name"],
        path=archive,
        method=manifest["method"],
        tables=len(manifest["tables"]),
        rows=sum(t["rows"] for t in manifest["tables"]),
        size_bytes=archive.stat().st_size,
        sha256=digest,
        removed=removed,
        reused=reused,
        note=manifest.get("note"),
    )


async def _export(
    url: str, staging: Path, name: str, taken_at: datetime, requested: str
) -> dict[str, Any]:
    async with await psycopg.AsyncConnection.connect(url) as conn:
        await conn.set_isolation_level(IsolationLevel.REPEATABLE_READ)
        await conn.set_read_only(True)
        async with conn.transaction():
            # The first query fixes the snapshot; everything below reads that one state.
            schema = await _current_schema(conn)
            tables = await app_tables(conn, schema)
            server = await server_major(conn)
            # Probing client versions runs subprocesses: keep them off the event loop.
            choice = await asyncio.to_thread(choose_method, requested, server)
            manifest: dict[str, Any] = {
                "format_version": FORMAT_VERSION,
                "name": name,
                "created_at": taken_at.astimezone(UTC).isoformat(),
                "method": choice.method,
                "tool": choice.dump_tool.describe() if choice.dump_tool else None,
                "dump_major": choice.dump_tool.major if choice.dump_tool else None,
                "server_major": server,
                "database": conninfo_to_dict(url).get("dbname"),
                "schema": schema,
                "schema_revisions": await schema_revisions(conn, schema),
                "note": choice.note,
            }
            if choice.dump_tool is not None:
                counts = [await row_count(conn, schema, t.name) for t in tables]
                await _pg_dump(
                    conn, choice.dump_tool, url, schema, tables, staging / arc.DUMP_MEMBER
                )
                manifest["sequences"] = []  # pg_dump writes their setval() itself
            else:
                counts = [await _copy_out(conn, schema, t, staging) for t in tables]
                manifest["sequences"] = await owned_sequences(
                    conn, schema, [t.name for t in tables]
                )
    manifest["tables"] = [
        {"name": t.name, "rows": rows, "columns": t.columns}
        for t, rows in zip(tables, counts, strict=True)
    ]
    return manifest


async def _current_schema(conn: AsyncConnection[Any]) -> str:
    row = await (await conn.execute("SELECT current_schema()")).fetchone()
    assert row is not None
    return str(row[0])


async def _copy_out(
    conn: AsyncConnection[Any], schema: str, table: TableInfo, staging: Path
) -> int:
    target = staging / arc.copy_member(table.name)
    target.parent.mkdir(parents=True, exist_ok=True)
    statement = sql.SQL("COPY {} ({}) TO STDOUT").format(
        sql.Identifier(schema, table.name), sql.SQL(", ").join(map(sql.Identifier, table.columns))
    )
    rows = 0
    with target.open("wb") as out:
        async with conn.cursor().copy(statement) as copy:
            async for chunk in copy:
                data = bytes(chunk)
                rows += data.count(b"\n")
                out.write(data)
    return rows


async def _pg_dump(
    conn: AsyncConnection[Any],
    tool: PgTool,
    url: str,
    schema: str,
    tables: list[TableInfo],
    target: Path,
) -> None:
    row = await (await conn.execute("SELECT pg_export_snapshot()")).fetchone()
    assert row is not None
    conninfo, env = libpq_arguments(url)
    patterns = [f"--table={_dump_pattern(schema)}.{_dump_pattern(t.name)}" for t in tables]
    failure = await run_tool(
        tool.path,
        [
            "--data-only",
            "--no-privileges",
            "--encoding=UTF8",
            f"--snapshot={row[0]}",
            f"--file={target}",
            *patterns,
            f"--dbname={conninfo}",
        ],
        env,
    )
    if failure is not None:
        raise arc.BackupError(f"pg_dump failed: {failure}")


def _dump_pattern(table: str) -> str:
    # Quoted, so a name is matched exactly: no case folding, no wildcards.
    return '"' + table.replace('"', '""') + '"'


def _pack(
    staging: Path, archive: Path, manifest: dict[str, Any], signing_key: bytes | None
) -> None:
    (staging / arc.MANIFEST).write_text(json.dumps(manifest, indent=2))
    partial = archive.with_name(archive.name + ".partial")
    with (
        os.fdopen(open_private(partial), "wb") as out,
        tarfile.open(fileobj=out, mode="w:gz") as tar,
    ):
        tar.add(staging / arc.MANIFEST, arcname=arc.MANIFEST)  # first: listing reads only it
        for path in sorted(p for p in staging.rglob("*") if p.is_file()):
            if path.name != arc.MANIFEST:
                tar.add(path, arcname=str(path.relative_to(staging)))
    # Checksum and signature first: the archive appears whole, and verifiable, or not at all.
    arc.write_checksum(archive, source=partial)
    if signing_key is not None:
        sign(archive, signing_key, source=partial)
    partial.replace(archive)
