"""Backups made through the CLI restore into an empty database row for row."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

from personal_assistant.db import migrate
from personal_assistant.errors import BadInput
from personal_assistant.files import archive as arc
from personal_assistant.files.backup import choose_method, create_backup
from personal_assistant.files.restore import restore_backup
from tests.support.processes import run_cli

TRICKY = "tab\there, newline\nthere, backslash \\ and ünïcødé"


def _seed(url: str) -> None:
    with psycopg.connect(url) as conn:
        conn.execute(
            "INSERT INTO ping_records (job_id, message, worker) VALUES (1, %s, NULL), (2, '', 'w')",
            (TRICKY,),
        )
        conn.execute(
            "INSERT INTO job_results (job_id, task_name, result) VALUES (7, 't', %s::jsonb)",
            ('{"nested": {"list": [1, "two", null]}, "text": "a\\nb"}',),
        )
        feed = conn.execute(
            "INSERT INTO calendar_feeds (source, event_count) VALUES ('/cal.ics', 1) RETURNING id"
        ).fetchone()
        assert feed is not None
        conn.execute(
            """
            INSERT INTO calendar_events (feed_id, uid, recurrence_id, summary, starts_at, ends_at,
                                         all_day, transparent, content_hash, conflicts)
            VALUES (%s, 'u1', '', %s, now(), now() + interval '1 hour', false, false, 'h', 0)
            """,
            (feed[0], TRICKY),
        )
        conn.execute(
            "INSERT INTO user_sessions (user_id, token_hash, expires_at) "
            "VALUES ('me', 'hash', now() + interval '1 day')"
        )


def _app_tables(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename NOT LIKE 'procrastinate%%' AND tablename <> 'alembic_version' "
            "ORDER BY 1"
        ).fetchall()
    return [row[0] for row in rows]


def _contents(url: str) -> dict[str, list[tuple[Any, ...]]]:
    tables = _app_tables(url)
    with psycopg.connect(url) as conn:
        return {
            table: conn.execute(
                sql.SQL("SELECT * FROM {} ORDER BY 1").format(sql.Identifier(table))
            ).fetchall()
            for table in tables
        }


@pytest.fixture
def databases(database_url: str, empty_database: str) -> Iterator[tuple[str, str]]:
    """(source, target): a migrated, seeded source and a migrated, empty target."""
    _seed(database_url)
    migrate.upgrade(empty_database)
    yield database_url, empty_database


def test_cli_backup_then_restore_into_an_empty_database(
    databases: tuple[str, str], tmp_path: Path
) -> None:
    source, target = databases
    env = {"PA_BACKUP_DIR": str(tmp_path), "PA_BACKUP_METHOD": "copy"}

    created = run_cli("backup", "create", "--json", env={**env, "DATABASE_URL": source})
    assert created.code == 0, created.err
    backup = created.json()
    assert (backup["method"], backup["rows"]) == ("copy", 6)
    name = backup["name"]

    listed = run_cli("backup", "list", "--json", env=env)
    assert [b["name"] for b in listed.json()] == [name]

    restored = run_cli("backup", "restore", name, "--json", env={**env, "DATABASE_URL": target})
    assert restored.code == 0, restored.err
    assert restored.json()["rows"] == 6
    assert _contents(target) == _contents(source)
    # Sequences came along: a new row does not collide with a restored id.
    with psycopg.connect(target) as conn:
        conn.execute("INSERT INTO ping_records (job_id, message) VALUES (3, 'after')")


async def test_pg_dump_backup_restores_into_an_empty_database(
    databases: tuple[str, str], tmp_path: Path
) -> None:
    source, target = databases
    backup = await create_backup(
        source, tmp_path, taken_at=datetime.now(UTC), keep=3, method="pg_dump"
    )
    assert backup.method == "pg_dump" and backup.rows == 6
    assert arc.verify_backup(backup.path).ok

    restored = await restore_backup(target, backup.path)
    assert (restored.method, restored.rows, restored.replaced) == ("pg_dump", 6, False)
    assert _contents(target) == _contents(source)
    with psycopg.connect(target) as conn:
        conn.execute("INSERT INTO ping_records (job_id, message) VALUES (3, 'after')")


@pytest.mark.parametrize("method", ["copy", "pg_dump"])
async def test_restore_refuses_a_non_empty_database_unless_told(
    database_url: str, tmp_path: Path, method: str
) -> None:
    _seed(database_url)
    backup = await create_backup(
        database_url, tmp_path, taken_at=datetime.now(UTC), keep=3, method=method
    )
    with psycopg.connect(database_url) as conn:
        conn.execute("UPDATE ping_records SET message = 'changed since'")
    before = _contents(database_url)

    if method == "copy":
        refused = run_cli("backup", "restore", backup.name, env={"PA_BACKUP_DIR": str(tmp_path)})
        assert refused.code == 2
        assert "not empty" in refused.err and "--yes" in refused.err
    else:
        with pytest.raises(BadInput, match="--yes"):
            await restore_backup(database_url, backup.path)
    assert _contents(database_url) == before

    replaced = await restore_backup(database_url, backup.path, replace=True)
    assert replaced.replaced
    after = _contents(database_url)
    assert {row[2] for row in after["ping_records"]} == {TRICKY, ""}
    assert after["user_sessions"] == before["user_sessions"]


async def test_a_damaged_archive_fails_verification_and_is_not_restored(
    database_url: str, tmp_path: Path
) -> None:
    _seed(database_url)
    backup = await create_backup(
        database_url, tmp_path, taken_at=datetime.now(UTC), keep=3, method="copy"
    )
    data = bytearray(backup.path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    backup.path.write_bytes(bytes(data))

    verified = run_cli("backup", "verify", backup.name, env={"PA_BACKUP_DIR": str(tmp_path)})
    assert verified.code == 2
    assert "checksum mismatch" in verified.err
    with pytest.raises(arc.BackupCorrupt, match="nothing restored"):
        await restore_backup(database_url, backup.path, replace=True)
    with pytest.raises(BadInput, match="not a backup name"):
        arc.resolve_backup(tmp_path, "../etc/passwd")


async def test_retention_keeps_the_newest_and_a_rerun_reuses_its_backup(
    database_url: str, tmp_path: Path
) -> None:
    start = datetime(2026, 1, 4, 1, 0, tzinfo=UTC)
    names = []
    for week in range(3):
        result = await create_backup(
            database_url, tmp_path, taken_at=start + timedelta(weeks=week), keep=2, method="copy"
        )
        names.append(result.name)
    assert [b.name for b in arc.list_backups(tmp_path)] == names[1:]
    assert result.removed == [names[0]]
    assert not (tmp_path / f"{names[0]}.tar.gz.sha256").exists()

    again = await create_backup(
        database_url, tmp_path, taken_at=start + timedelta(weeks=2), keep=2, method="copy"
    )
    assert again.reused and again.sha256 == result.sha256
    assert not [n for n in os.listdir(tmp_path) if n.startswith(".")]  # no staging left


def test_pg_dump_older_than_the_server_falls_back_to_copy() -> None:
    choice = choose_method("auto", server=99)
    assert choice.method == "copy"
    assert choice.note and "version 99 or newer" in choice.note
    with pytest.raises(arc.BackupError, match="PA_BACKUP_METHOD is pg_dump"):
        choose_method("pg_dump", server=99)
