"""procrastinate's schema, vendored from procrastinate 3.10.0.

Revision ID: 0001_procrastinate
Revises:
Create Date: 2026-11-23

The SQL is a copy of that release's ``procrastinate/sql/schema.sql``, kept beside this
file: reading the installed package at migration time would change history on upgrade.
A later procrastinate release's migrations become one revision each, pre/post in order.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from alembic import op

revision: str = "0001_procrastinate"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = Path(__file__).with_name("sql") / "procrastinate_3.10.0_schema.sql"

DROP_ALL = r"""
DO $$
DECLARE r record;
BEGIN
    FOR r IN SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname = current_schema() AND c.relkind = 'r'
                AND c.relname LIKE 'procrastinate\_%' LOOP
        EXECUTE format('DROP TABLE IF EXISTS %I CASCADE', r.relname);
    END LOOP;
    FOR r IN SELECT p.oid::regprocedure AS fn FROM pg_proc p
              JOIN pg_namespace n ON n.oid = p.pronamespace
              WHERE n.nspname = current_schema() AND p.proname LIKE 'procrastinate\_%' LOOP
        EXECUTE format('DROP ROUTINE IF EXISTS %s CASCADE', r.fn);
    END LOOP;
    FOR r IN SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
              WHERE n.nspname = current_schema() AND t.typtype IN ('e', 'c')
                AND t.typname LIKE 'procrastinate\_%' LOOP
        EXECUTE format('DROP TYPE IF EXISTS %I CASCADE', r.typname);
    END LOOP;
END $$;
"""


def _execute_raw(sql: str) -> None:
    # Through the driver, without parameters: the SQL holds '%' and ':' that a
    # parameter-aware layer would try to interpret.
    cursor = op.get_bind().connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    cursor.execute(sql)


def upgrade() -> None:
    _execute_raw(SCHEMA.read_text(encoding="utf-8"))


def downgrade() -> None:
    _execute_raw(DROP_ALL)
