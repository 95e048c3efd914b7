"""`pa-tasks db check` fails when the database and the models disagree."""

from __future__ import annotations

import psycopg

from tests.support.processes import run_cli


def test_check_passes_on_a_migrated_database(database_url: str) -> None:
    result = run_cli("db", "check")
    assert result.code == 0, result.err
    assert result.out.startswith("schema ok")


def test_check_fails_on_drift(database_url: str) -> None:
    with psycopg.connect(database_url) as conn:
        conn.execute("ALTER TABLE ping_records DROP COLUMN worker")
    result = run_cli("db", "check")
    assert result.code != 0
    assert "models and migrations disagree" in result.err
    assert len(result.err.strip().splitlines()) == 1


def test_check_fails_on_a_database_behind_head(empty_database: str) -> None:
    result = run_cli("db", "check")
    assert result.code != 0
    assert "run `pa-tasks db upgrade`" in result.err
