"""What a backup contains: the application's tables, in an order that loads cleanly.

Every table of the schema (the connection's current one when a backup is taken, the
manifest's when it is restored) is an application table except procrastinate's (the
queue is transient state: restoring old jobs would run their side effects again) and
alembic's bookkeeping (the manifest records the schema revision instead).
"""

from __future__ import annotations

from dataclasses import dataclass
from graphlib import CycleError, TopologicalSorter
from typing import Any

from psycopg import AsyncConnection, sql

from personal_assistant.errors import AssistantError

TABLES = """
SELECT c.relname
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = %(schema)s AND c.relkind = 'r' AND NOT c.relispartition
   AND c.relname NOT LIKE 'procrastinate\\_%%' AND c.relname <> 'alembic_version'
 ORDER BY c.relname
"""
FOREIGN_KEYS = """
SELECT child.relname, parent.relname
  FROM pg_constraint con
  JOIN pg_class child ON child.oid = con.conrelid
  JOIN pg_class parent ON parent.oid = con.confrelid
  JOIN pg_namespace n ON n.oid = child.relnamespace
 WHERE con.contype = 'f' AND n.nspname = %(schema)s
"""
COLUMNS = """
SELECT a.attname
  FROM pg_attribute a
 WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped
   AND a.attgenerated = ''
 ORDER BY a.attnum
"""
# Sequences owned by a table's column: serial ('a'uto) and identity ('i'nternal) ones.
SEQUENCES = """
SELECT seq.relname, tbl.relname
  FROM pg_depend d
  JOIN pg_class seq ON seq.oid = d.objid AND seq.relkind = 'S'
  JOIN pg_class tbl ON tbl.oid = d.refobjid
  JOIN pg_namespace n ON n.oid = tbl.relnamespace
 WHERE d.deptype IN ('a', 'i') AND n.nspname = %(schema)s
 ORDER BY seq.relname
"""


class SchemaProblem(AssistantError):
    """The tables cannot be ordered for loading."""


@dataclass(frozen=True)
class TableInfo:
    name: str
    columns: list[str]


async def app_table_names(conn: AsyncConnection[Any], schema: str) -> list[str]:
    return [row[0] for row in await (await conn.execute(TABLES, {"schema": schema})).fetchall()]


async def app_tables(conn: AsyncConnection[Any], schema: str) -> list[TableInfo]:
    """The application's tables, parents before the tables that reference them."""
    names = await app_table_names(conn, schema)
    edges = await (await conn.execute(FOREIGN_KEYS, {"schema": schema})).fetchall()
    graph: dict[str, set[str]] = {name: set() for name in names}
    for child, parent in edges:
        if child in graph and parent in graph and child != parent:
            graph[child].add(parent)
    try:
        ordered = list(TopologicalSorter(graph).static_order())
    except CycleError as exc:
        raise SchemaProblem(
            f"tables reference each other in a cycle ({' -> '.join(exc.args[1])}); "
            "their rows cannot be loaded one table at a time"
        ) from None
    tables = []
    for name in ordered:
        tables.append(TableInfo(name=name, columns=await table_columns(conn, schema, name)))
    return tables


async def table_columns(conn: AsyncConnection[Any], schema: str, table: str) -> list[str]:
    qualified = sql.Identifier(schema, table).as_string(conn)
    return [row[0] for row in await (await conn.execute(COLUMNS, (qualified,))).fetchall()]


async def sequence_owners(conn: AsyncConnection[Any], schema: str) -> dict[str, str]:
    """Sequence name -> the table owning it, in ``schema``."""
    rows = await (await conn.execute(SEQUENCES, {"schema": schema})).fetchall()
    return {sequence: table for sequence, table in rows}


async def owned_sequences(
    conn: AsyncConnection[Any], schema: str, tables: list[str]
) -> list[dict[str, Any]]:
    """Each sequence owned by one of ``tables``, with its current value."""
    wanted = set(tables)
    sequences = []
    for sequence, table in (await sequence_owners(conn, schema)).items():
        if table not in wanted:
            continue
        query = sql.SQL("SELECT last_value, is_called FROM {}").format(
            sql.Identifier(schema, sequence)
        )
        row = await (await conn.execute(query)).fetchone()
        assert row is not None
        sequences.append({"name": sequence, "value": int(row[0]), "is_called": bool(row[1])})
    return sequences


async def schema_revisions(conn: AsyncConnection[Any], schema: str) -> list[str]:
    """The alembic revisions recorded in ``schema`` (none when it has no alembic table)."""
    table = sql.Identifier(schema, "alembic_version")
    exists = await (
        await conn.execute("SELECT to_regclass(%s)", (table.as_string(conn),))
    ).fetchone()
    if exists is None or exists[0] is None:
        return []
    query = sql.SQL("SELECT version_num FROM {} ORDER BY 1").format(table)
    return [row[0] for row in await (await conn.execute(query)).fetchall()]


async def row_count(conn: AsyncConnection[Any], schema: str, table: str) -> int:
    query = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(schema, table))
    row = await (await conn.execute(query)).fetchone()
    return int(row[0]) if row else 0


async def server_major(conn: AsyncConnection[Any]) -> int:
    row = await (await conn.execute("SHOW server_version_num")).fetchone()
    assert row is not None
    return int(row[0]) // 10000
