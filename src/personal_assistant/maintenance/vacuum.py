"""VACUUM (ANALYZE) every table of the schema, the application's and the queue's.

VACUUM cannot run inside a transaction block, so this uses its own autocommit
connection. Dead tuples are read from ``pg_stat_user_tables`` before and after, with
``pg_stat_clear_snapshot()`` first so a reading is not a cached one. Those statistics
are as fresh as other sessions have reported them: on PostgreSQL 15+ a backend flushes
its counters at most about once a second, so rows deleted in the last second may not be
counted yet. VACUUM reports its own results directly, so the "after" figure is exact.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import AsyncConnection, sql

from personal_assistant.logs import log_fields

logger = logging.getLogger("personal_assistant.maintenance")

TABLES = """
SELECT c.relname
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'm')
 ORDER BY c.relname
"""
DEAD_TUPLES = """
SELECT relname, n_dead_tup FROM pg_stat_user_tables WHERE schemaname = current_schema()
"""


@dataclass(frozen=True)
class OptimizeReport:
    tables: list[str]
    before: dict[str, int]
    after: dict[str, int]
    duration_s: float

    def as_json(self) -> dict[str, Any]:
        changed = {
            name: {"before": self.before.get(name, 0), "after": self.after.get(name, 0)}
            for name in self.tables
            if self.before.get(name) or self.after.get(name)
        }
        return {
            "tables": len(self.tables),
            "dead_tuples_before": sum(self.before.get(t, 0) for t in self.tables),
            "dead_tuples_after": sum(self.after.get(t, 0) for t in self.tables),
            "by_table": changed,
            "duration_s": round(self.duration_s, 3),
        }


async def optimize_database(url: str) -> OptimizeReport:
    started = time.perf_counter()
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        tables = [row[0] for row in await (await conn.execute(TABLES)).fetchall()]
        before = await dead_tuples(conn)
        for table in tables:
            # SKIP_LOCKED: a table being vacuumed by autovacuum is left to it, not waited on.
            await conn.execute(
                sql.SQL("VACUUM (ANALYZE, SKIP_LOCKED) {}").format(sql.Identifier(table))
            )
        after = await dead_tuples(conn)
    report = OptimizeReport(tables, before, after, time.perf_counter() - started)
    summary = report.as_json()
    logger.info(
        "vacuumed %d table(s): %d dead tuple(s) before, %d after",
        summary["tables"],
        summary["dead_tuples_before"],
        summary["dead_tuples_after"],
        extra=log_fields("optimize_database", summary),
    )
    return report


async def dead_tuples(conn: AsyncConnection[Any]) -> dict[str, int]:
    await conn.execute("SELECT pg_stat_clear_snapshot()")
    rows = await (await conn.execute(DEAD_TUPLES)).fetchall()
    return {name: int(count or 0) for name, count in rows}
