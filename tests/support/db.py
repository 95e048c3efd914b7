"""Plain SQL helpers for assertions: tests look at the database as it is."""

from __future__ import annotations

from typing import Any

import psycopg


def query(url: str, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql, params).fetchall()  # type: ignore[arg-type]


def scalar(url: str, sql: str, *params: Any) -> Any:
    rows = query(url, sql, *params)
    return rows[0][0] if rows else None


def job_status(url: str, job_id: int) -> str | None:
    return scalar(url, "SELECT status::text FROM procrastinate_jobs WHERE id = %s", job_id)


def job_events(url: str, job_id: int) -> list[str]:
    rows = query(
        url, "SELECT type::text FROM procrastinate_events WHERE job_id = %s ORDER BY at, id", job_id
    )
    return [row[0] for row in rows]


def _tables(conn: psycopg.Connection[Any]) -> list[str]:
    rows = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
    return [row[0] for row in rows]


def table_counts(url: str) -> dict[str, int]:
    """Row counts of every table: the fingerprint that "nothing was written" compares."""
    with psycopg.connect(url) as conn:
        tables = _tables(conn)
        return {
            t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]  # type: ignore[index]
            for t in tables
        }


def table_fingerprint(url: str) -> dict[str, str]:
    """A digest of every row of every table: "nothing was written" down to the last column."""
    with psycopg.connect(url) as conn:
        tables = _tables(conn)
        return {
            t: conn.execute(
                f"SELECT count(*) || ':' || coalesce(md5(string_agg(x::text, ',' ORDER BY x::text)), '') FROM \"{t}\" x"
            ).fetchone()[0]  # type: ignore[index]
            for t in tables
        }
