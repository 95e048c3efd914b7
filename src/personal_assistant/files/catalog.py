"""What a backup contains: the application's tables, in an order that loads cleanly.

Every table of the current schema is an application table except procrastinate's (the
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
 WHERE n.nspname = current_schema() AND c.relkind = 'r' AND NOT c.relispartition
   AND c.relname NOT LIKE 'procrastinate\\_%' AND c.relname <> 'alembic_version'
 ORDER BY c.relname
"""
FOREIGN_KEYS = """
SELECT child.relname, parent.relname
  FROM pg_constraint con
  JOIN pg_class child ON child.oid = con.conrelid
  JOIN pg_class parent ON parent.oid = con.confrelid
  JOIN pg_namespace n ON n.oid = child.relnamespace
 WHERE con.contype = 'f' AND n.nspname = current_schema()
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
 WHERE d.deptype IN ('a', 'i') AND n.nspname = current_schema()
 ORDER BY seq.relname
"""
REVISIONS = "SELECT version_num FROM alembic_version ORDER BY 1"


class SchemaProblem(AssistantError):
    """The tables cannot be ordered for loading."""


@dataclass(frozen=True)
class TableInfo:
    name: str
    columns: list[str]


async def app_tables(conn: AsyncConnection[Any]) -> list[TableInfo]:
    """The application's tables, parents before the tables that reference them."""
    names = [row[0] for row in await (await conn.execute(TABLES)).fetchall()]
    edges = await (await conn.execute(FOREIGN_KEYS)).fetchall()
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
        qualified = sql.Identifier(name).as_string(conn)
        columns = [row[0] for row in await (await conn.execute(COLUMNS, (qualified,))).fetchall()]
        tables.append(TableInfo(name=name, columns=columns))
    return tables


async def owned_sequences(conn: AsyncConnection[Any], tables: list[str]) -> list[dict[str, Any]]:
    """Each sequence owned by one of ``tables``, with its current value."""
    wanted = set(tables)
    sequences = []
    for sequence, table in await (await conn.execute(SEQUENCES)).fetchall():
        if table not in wanted:
            continue
        query = sql.SQL("SELECT last_value, is_called FROM {}").format(sql.Identifier(sequence))
        row = await (await conn.execute(query)).fetchone()
        assert row is not None
        sequences.append({"name": sequence, "value": int(row[0]), "is_called": bool(row[1])})
    return sequences


async def schema_revisions(conn: AsyncConnection[Any]) -> list[str]:
    exists = await (await conn.execute("SELECT to_regclass('alembic_version')")).fetchone()
    if exists is None or exists[0] is None:
        return []
    return [row[0] for row in await (await conn.execute(REVISIONS)).fetchall()]


async def row_count(conn: AsyncConnection[Any], table: str) -> int:
    query = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))
    row = await (await conn.execute(query)).fetchone()
    return int(row[0]) if row else 0


async def server_major(conn: AsyncConnection[Any]) -> int:
    row = await (await conn.execute("SHOW server_version_num")).fetchone()
    assert row is not None
    return int(row[0]) // 10000
