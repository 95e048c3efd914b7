"""A backup archive is untrusted input: restore loads its data and never runs it."""

from __future__ import annotations

import io
import json
import tarfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
from psycopg import sql

from personal_assistant.errors import BadInput
from personal_assistant.files import archive as arc
from personal_assistant.files.backup import create_backup
from personal_assistant.files.restore import restore_backup
from tests.support.db import query, scalar
from tests.support.processes import run_cli
from tests.support.refusal import assert_refused

Members = dict[str, bytes]


def _seed(url: str) -> None:
    with psycopg.connect(url) as conn:
        conn.execute(
            "INSERT INTO ping_records (job_id, message) VALUES (1, 'one'), (2, 'two \\! not sql')"
        )
        conn.execute(
            "INSERT INTO user_sessions (user_id, token_hash, expires_at) "
            "VALUES ('me', 'hash', now() + interval '1 day')"
        )


async def _backup(url: str, directory: Path, method: str) -> Path:
    result = await create_backup(url, directory, taken_at=datetime.now(UTC), keep=5, method=method)
    return result.path


def _rewrite(archive: Path, change: Callable[[Members], None]) -> None:
    """Change an archive's members and write a matching checksum, as a forger would."""
    with tarfile.open(archive, "r:gz") as tar:
        members: Members = {}
        for info in tar.getmembers():
            handle = tar.extractfile(info)
            assert handle is not None
            members[info.name] = handle.read()
    change(members)
    with tarfile.open(archive, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    digest = arc.sha256_of(archive)
    arc.checksum_path(archive).write_text(f"{digest}  {archive.name}\n")


def _inject(text: str) -> Callable[[Members], None]:
    """Put ``text`` into dump.sql after pg_dump's preamble, before the data."""

    def change(members: Members) -> None:
        dump = members["dump.sql"].decode()
        anchor = "SET row_security = off;\n"
        assert anchor in dump
        members["dump.sql"] = dump.replace(anchor, anchor + text + "\n", 1).encode()

    return change


def _name(archive: Path) -> str:
    return archive.name.removesuffix(arc.SUFFIX)


INJECTIONS = {
    "shell escape": "\\! touch {marker}",
    "meta-command after data": "\\o {marker}",
    "extra SQL": "DROP TABLE public.user_sessions;",
    "a job queued through COPY": (
        "COPY public.procrastinate_jobs (queue_name, task_name, args) FROM stdin;\n"
        'general_tasks\tgeneral:run_command\t{{"argv": ["touch", "{marker}"]}}\n'
        "\\."
    ),
    "a second copy of a table": (
        "COPY public.ping_records (id, job_id, message, worker, recorded_at) FROM stdin;\n"
        "99\t99\tsmuggled\t\\N\t2026-01-01 00:00:00+00\n"
        "\\."
    ),
}


@pytest.mark.parametrize("kind", list(INJECTIONS))
async def test_a_dump_with_anything_but_data_is_refused_and_nothing_runs(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    _seed(database_url)
    backups = tmp_path / "backups"
    archive = await _backup(database_url, backups, "pg_dump")
    marker = tmp_path / "pwned"
    _rewrite(archive, _inject(INJECTIONS[kind].format(marker=marker)))
    monkeypatch.setenv("PA_BACKUP_DIR", str(backups))

    # The checksum matches (the forger wrote it), yet verify sees what restore would refuse.
    assert_refused(database_url, ["backup", "verify", _name(archive)], "damaged")
    assert_refused(database_url, ["backup", "restore", _name(archive), "--yes"], "nothing restored")
    assert not marker.exists()
    assert scalar(database_url, "SELECT to_regclass('public.user_sessions')") is not None
    assert "smuggled" not in str(query(database_url, "SELECT message FROM ping_records"))


async def test_a_manifest_naming_the_queue_table_is_refused(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _seed(database_url)
    archive = await _backup(database_url, tmp_path, "copy")
    columns = ["queue_name", "task_name", "args"]

    def add_queue_table(members: Members) -> None:
        manifest = json.loads(members["manifest.json"])
        manifest["tables"].append({"name": "procrastinate_jobs", "rows": 1, "columns": columns})
        members["manifest.json"] = json.dumps(manifest).encode()
        members["data/procrastinate_jobs.copy"] = (
            b'general_tasks\tgeneral:run_command\t{"argv": ["true"]}\n'
        )

    _rewrite(archive, add_queue_table)
    monkeypatch.setenv("PA_BACKUP_DIR", str(tmp_path))
    assert_refused(
        database_url, ["backup", "restore", _name(archive), "--yes"], "not an application table"
    )


async def test_an_end_of_data_marker_in_copy_data_is_damage(
    database_url: str, tmp_path: Path
) -> None:
    _seed(database_url)
    archive = await _backup(database_url, tmp_path, "copy")

    def cut(members: Members) -> None:
        rows = members["data/ping_records.copy"].split(b"\n")
        members["data/ping_records.copy"] = b"\n".join([rows[0], b"\\.", *rows[2:]])

    _rewrite(archive, cut)
    report = arc.verify_backup(archive)
    assert report.problems == [
        "archive cannot be read: data/ping_records.copy line 2 is an end-of-data marker"
    ]
    with pytest.raises(arc.BackupCorrupt, match="nothing restored"):
        await restore_backup(database_url, archive, replace=True)


@pytest.mark.parametrize("method", ["copy", "pg_dump"])
async def test_restore_checks_and_loads_the_manifests_schema_not_the_search_path(
    database_url: str, empty_database: str, tmp_path: Path, method: str
) -> None:
    from personal_assistant.db import migrate

    _seed(database_url)
    archive = await _backup(database_url, tmp_path, method)
    migrate.upgrade(empty_database)
    with psycopg.connect(empty_database, autocommit=True) as conn:
        # A look-alike, empty table first on the search path.
        conn.execute("CREATE SCHEMA decoy")
        conn.execute("CREATE TABLE decoy.ping_records (LIKE public.ping_records)")
        conn.execute("INSERT INTO public.ping_records (job_id, message) VALUES (5, 'kept')")
        database = urlsplit(empty_database).path.lstrip("/")
        conn.execute(
            sql.SQL("ALTER DATABASE {} SET search_path = decoy, public").format(
                sql.Identifier(database)
            )
        )

    with pytest.raises(BadInput, match="table ping_records has 1 row"):
        await restore_backup(empty_database, archive)

    await restore_backup(empty_database, archive, replace=True)
    loaded = query(empty_database, "SELECT message FROM public.ping_records ORDER BY id")
    assert loaded == [("one",), ("two \\! not sql",)]
    assert query(empty_database, "SELECT count(*) FROM decoy.ping_records") == [(0,)]


MALFORMED = {
    "a JSON list": b"[]",
    "not JSON": b"{",
    "not UTF-8": b"\xff\xfe{}",
    "no tables": b'{"format_version": 1}',
    "tables as strings": None,  # built from the real manifest below
    "rows as text": None,
}


@pytest.mark.parametrize("kind", list(MALFORMED))
async def test_a_malformed_manifest_is_a_damaged_backup(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    archive = await _backup(database_url, tmp_path, "copy")

    def damage(members: Members) -> None:
        manifest = json.loads(members["manifest.json"])
        if kind == "tables as strings":
            manifest["tables"] = [t["name"] for t in manifest["tables"]]
        elif kind == "rows as text":
            manifest["tables"][0]["rows"] = "0"
        members["manifest.json"] = MALFORMED[kind] or json.dumps(manifest).encode()

    _rewrite(archive, damage)
    monkeypatch.setenv("PA_BACKUP_DIR", str(tmp_path))
    assert_refused(database_url, ["backup", "verify", _name(archive)], "is damaged")
    listed = run_cli("backup", "list", "--json")
    assert listed.code == 0, listed.err
    assert [(b["name"], b["tables"]) for b in listed.json()] == [(_name(archive), 0)]


KEY = "correct horse battery staple"


async def test_a_signing_key_refuses_unsigned_and_forged_archives(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _seed(database_url)
    monkeypatch.setenv("PA_BACKUP_DIR", str(tmp_path))
    monkeypatch.setenv("PA_BACKUP_METHOD", "copy")
    unsigned = await _backup(database_url, tmp_path, "copy")
    monkeypatch.setenv("PA_BACKUP_SIGNING_KEY", KEY)

    created = run_cli("backup", "create", "--json")
    assert created.code == 0, created.err
    signed = Path(created.json()["path"])
    verified = run_cli("backup", "verify", _name(signed))
    assert verified.code == 0, verified.err
    assert "signature valid" in verified.out

    assert_refused(database_url, ["backup", "restore", _name(unsigned), "--yes"], "not signed")

    def tamper(members: Members) -> None:
        data = members["data/ping_records.copy"]
        members["data/ping_records.copy"] = data.replace(b"one", b"evil")

    _rewrite(signed, tamper)
    assert_refused(database_url, ["backup", "verify", _name(signed)], "signature mismatch")
    assert_refused(
        database_url, ["backup", "restore", _name(signed), "--yes"], "signature mismatch"
    )
    assert query(database_url, "SELECT message FROM ping_records ORDER BY id")[0] == ("one",)

    monkeypatch.setenv("PA_BACKUP_SIGNING_KEY", "another key, 16+ chars")
    assert_refused(database_url, ["backup", "verify", _name(signed)], "signature mismatch")


async def test_backups_are_readable_by_their_owner_only(database_url: str, tmp_path: Path) -> None:
    directory = tmp_path / "backups"
    directory.mkdir(mode=0o755)
    directory.chmod(0o755)
    first = await create_backup(
        database_url, directory, taken_at=datetime(2026, 1, 4, tzinfo=UTC), keep=3, method="copy"
    )
    assert directory.stat().st_mode & 0o777 == 0o700
    second = await create_backup(
        database_url,
        directory,
        taken_at=datetime(2026, 1, 11, tzinfo=UTC),
        keep=3,
        method="copy",
        signing_key=KEY.encode(),
    )
    files = sorted(p.name for p in directory.iterdir())
    assert files == [
        f"{first.name}.tar.gz",
        f"{first.name}.tar.gz.sha256",
        f"{second.name}.tar.gz",
        f"{second.name}.tar.gz.hmac",
        f"{second.name}.tar.gz.sha256",
    ]
    assert {(directory / name).stat().st_mode & 0o777 for name in files} == {0o600}
    nested = tmp_path / "new" / "backups"
    await create_backup(database_url, nested, taken_at=datetime.now(UTC), keep=3, method="copy")
    assert nested.stat().st_mode & 0o777 == 0o700


def test_a_retried_backup_job_reuses_its_own_archive(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PA_BACKUP_DIR", str(tmp_path))
    monkeypatch.setenv("PA_BACKUP_METHOD", "copy")
    first = _defer_backup()
    results = [_run_attempt(first, attempt) for attempt in range(2)]
    second = _run_attempt(_defer_backup(), 0)

    assert results[0]["name"] == results[1]["name"] and results[1]["reused"]
    assert results[0]["name"].endswith(f"-{first}")
    assert second["name"] != results[0]["name"] and not second["reused"]
    assert [b.name for b in arc.list_backups(tmp_path)] == sorted(
        [results[0]["name"], second["name"]]
    )


def _defer_backup() -> int:
    deferred = run_cli("defer", "files:backup_user_data", "--args", "{}")
    assert deferred.code == 0, deferred.err
    return int(deferred.out.split()[0])


def _run_attempt(job_id: int, attempt: int) -> dict[str, object]:
    """Run the job's task as a worker runs one attempt of it, a second apart."""
    import asyncio
    import time

    from procrastinate import JobContext
    from procrastinate.jobs import Job

    from personal_assistant.db.session import dispose_engine
    from personal_assistant.jobs.app import get_app

    time.sleep(1.1)  # a new attempt starts at a later second than the last one
    app = get_app()
    backup_user_data = app.tasks["files:backup_user_data"]
    job = Job(
        id=job_id,
        queue="file_tasks",
        lock=None,
        queueing_lock=None,
        task_name=backup_user_data.name,
        attempts=attempt,
    )
    context = JobContext(app=app, job=job, start_timestamp=time.time(), abort_reason=lambda: None)

    async def attempt_once() -> dict[str, object]:
        try:
            result: dict[str, object] = await backup_user_data.func(context)
            return result
        finally:
            await dispose_engine()

    return asyncio.run(attempt_once())
