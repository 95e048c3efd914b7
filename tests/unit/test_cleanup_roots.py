"""PA_CLEANUP_DIRS may not cover the root, the database's files or the backups."""

from __future__ import annotations

from pathlib import Path

import pytest

from personal_assistant.errors import ConfigError
from personal_assistant.settings import get_settings
from tests.support.processes import run_cli


@pytest.fixture
def places(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PA_EMBEDDED_DATA_DIR", str(tmp_path / "data" / "postgres"))
    monkeypatch.setenv("PA_BACKUP_DIR", str(tmp_path / "backups"))
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


@pytest.mark.parametrize(
    ("entry", "named"),
    [
        ("/", "the root directory"),
        ("{tmp}", "PA_EMBEDDED_DATA_DIR"),  # an ancestor
        ("{tmp}/data/postgres", "PA_EMBEDDED_DATA_DIR"),
        ("{tmp}/data/postgres/pg_wal", "PA_EMBEDDED_DATA_DIR"),  # inside it
        ("{tmp}/backups", "PA_BACKUP_DIR"),
        ("{tmp}/elsewhere/../backups/", "PA_BACKUP_DIR"),
    ],
)
def test_a_precious_directory_is_refused(
    places: Path, monkeypatch: pytest.MonkeyPatch, entry: str, named: str
) -> None:
    monkeypatch.setenv("PA_CLEANUP_DIRS", f"{places}/scratch,{entry.format(tmp=places)}")
    with pytest.raises(ConfigError, match="PA_CLEANUP_DIRS") as refused:
        get_settings()
    assert named in str(refused.value) and "\n" not in str(refused.value)


def test_other_directories_are_accepted(places: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PA_CLEANUP_DIRS", f"{places}/scratch,{places}/data/cache")
    assert get_settings().cleanup_dirs == [places / "scratch", places / "data" / "cache"]


def test_a_worker_refuses_to_start_with_one_line(places: Path) -> None:
    started = run_cli("worker", env={"PA_CLEANUP_DIRS": "/"})
    assert started.code == 2
    assert started.err.count("\n") == 1 and "PA_CLEANUP_DIRS" in started.err
