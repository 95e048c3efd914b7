"""alembic owns the schema: it upgrades from empty, downgrades cleanly, matches the
models, and reproduces procrastinate's own schema exactly."""

from __future__ import annotations

from pathlib import Path

import procrastinate
import psycopg
from psycopg import sql

from personal_assistant.db import migrate
from tests.support.postgres import PostgresServer

PROCRASTINATE_CATALOG = {
    "columns": """
        SELECT table_name, column_name, data_type, is_nullable, column_default
          FROM information_schema.columns
         WHERE table_schema = 'public' AND table_name LIKE 'procrastinate\\_%'""",
    "indexes": """
        SELECT indexname, indexdef FROM pg_indexes
         WHERE schemaname = 'public' AND tablename LIKE 'procrastinate\\_%'""",
    "constraints": """
        SELECT conname, pg_get_constraintdef(c.oid) FROM pg_constraint c
          JOIN pg_class t ON t.oid = c.conrelid
         WHERE t.relname LIKE 'procrastinate\\_%'""",
    "functions": """
        SELECT p.oid::regprocedure::text, pg_get_functiondef(p.oid) FROM pg_proc p
          JOIN pg_namespace n ON n.oid = p.pronamespace
         WHERE n.nspname = 'public' AND p.proname LIKE 'procrastinate\\_%'""",
    "triggers": """
        SELECT tgname, pg_get_triggerdef(t.oid) FROM pg_trigger t
          JOIN pg_class c ON c.oid = t.tgrelid
         WHERE NOT t.tgisinternal AND c.relname LIKE 'procrastinate\\_%'""",
    "enums": """
        SELECT t.typname, e.enumlabel, e.enumsortorder FROM pg_type t
          JOIN pg_enum e ON e.enumtypid = t.oid WHERE t.typname LIKE 'procrastinate\\_%'""",
    "composites": """
        SELECT t.typname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnum
          FROM pg_type t JOIN pg_class c ON c.oid = t.typrelid AND c.relkind = 'c'
          JOIN pg_attribute a ON a.attrelid = c.oid WHERE t.typname LIKE 'procrastinate\\_%'""",
}


# Indexes the application adds to procrastinate's tables (revision 0013_dashboard): they
# are not procrastinate's, so the comparison with the pinned release leaves them out.
APP_OWNED_INDEXES = {
    "pa_jobs_status_id",
    "pa_jobs_queue_status_id",
    "pa_jobs_task_status_id",
    "pa_jobs_args",
    "pa_jobs_lock",
    "pa_jobs_queueing_lock",
    "pa_events_type_at",
}


def catalog(url: str, *, app_owned: bool = False) -> dict[str, list[tuple[object, ...]]]:
    with psycopg.connect(url) as conn:
        found = {
            name: sorted(conn.execute(query).fetchall(), key=repr)  # type: ignore[arg-type]
            for name, query in PROCRASTINATE_CATALOG.items()
        }
    if not app_owned:
        found["indexes"] = [row for row in found["indexes"] if row[0] not in APP_OWNED_INDEXES]
    return found


def app_owned_indexes(url: str) -> set[str]:
    rows = catalog(url, app_owned=True)["indexes"]
    return {str(row[0]) for row in rows} & APP_OWNED_INDEXES


def app_tables(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
        ).fetchall()
    return [r[0] for r in rows]


def test_upgrade_from_empty_creates_everything(empty_database: str) -> None:
    assert app_tables(empty_database) == []
    migrate.upgrade(empty_database)
    tables = app_tables(empty_database)
    assert {"procrastinate_jobs", "procrastinate_events", "ping_records", "job_results"} <= set(
        tables
    )
    assert migrate.current_revisions(empty_database) == migrate.head_revisions()


def test_downgrade_then_upgrade_again(empty_database: str) -> None:
    migrate.upgrade(empty_database)
    first = catalog(empty_database, app_owned=True)
    assert app_owned_indexes(empty_database) == APP_OWNED_INDEXES
    migrate.downgrade(empty_database, "base")
    assert app_tables(empty_database) == ["alembic_version"]
    assert all(not rows for rows in catalog(empty_database, app_owned=True).values())
    migrate.upgrade(empty_database)
    assert catalog(empty_database, app_owned=True) == first


def test_models_equal_migrations(database_url: str) -> None:
    assert migrate.drift(database_url) == []
    migrate.check(database_url)


def test_procrastinate_schema_matches_the_pinned_release(
    database_url: str, pg_server: PostgresServer
) -> None:
    reference = "pa_test_procrastinate_reference"
    with psycopg.connect(pg_server.admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(reference)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(reference)))
    reference_url = pg_server.url_for(reference)
    try:
        schema = Path(procrastinate.__file__).with_name("sql") / "schema.sql"
        with psycopg.connect(reference_url, autocommit=True) as conn:
            conn.execute(schema.read_text())  # type: ignore[arg-type]
        assert catalog(database_url) == catalog(reference_url)
        # The application's own indexes are there, and only those differ.
        assert app_owned_indexes(database_url) == APP_OWNED_INDEXES
        assert app_owned_indexes(reference_url) == set()
    finally:
        with psycopg.connect(pg_server.admin_url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(reference))
            )


def test_autogenerate_never_drops_procrastinate_objects(database_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlalchemy import create_engine, pool

    from personal_assistant.db.base import load_all_models
    from personal_assistant.db.url import sqlalchemy_url

    engine = create_engine(sqlalchemy_url(database_url), poolclass=pool.NullPool)
    with engine.connect() as conn:
        unfiltered = compare_metadata(MigrationContext.configure(conn), load_all_models())
    engine.dispose()
    # What the filters guard against: unmodelled procrastinate tables look "removed".
    assert any("procrastinate_jobs" in repr(diff) for diff in unfiltered)
    assert not any("procrastinate_" in repr(diff) for diff in migrate.drift(database_url))
