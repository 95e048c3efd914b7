"""Temporary-file cleanup removes only old things inside a root and never follows links."""

from __future__ import annotations

import os
import time
from datetime import timedelta
from pathlib import Path

import pytest

from personal_assistant.files.cleanup import MAX_DEPTH, cleanup_paths

DAY = 86_400
MAX_AGE = timedelta(hours=24)


def _age(path: Path, days: float) -> None:
    stamp = time.time() - days * DAY
    os.utime(path, (stamp, stamp), follow_symlinks=False)


def _write(path: Path, size: int, days: float) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * size)
    _age(path, days)
    return path


def _tree(tmp_path: Path) -> tuple[Path, Path]:
    """A root with old and new files, old and new directories, and links pointing out."""
    root = tmp_path / "root"
    outside = tmp_path / "outside"
    _write(outside / "precious.txt", 7, days=30)
    _write(outside / "deep" / "precious2.txt", 7, days=30)

    _write(root / "old.log", 100, days=3)
    _write(root / "new.log", 50, days=0)
    _write(root / "stale" / "a.tmp", 10, days=5)
    _write(root / "stale" / "nested" / "b.tmp", 20, days=5)
    _write(root / "mixed" / "old.tmp", 30, days=5)
    _write(root / "mixed" / "fresh.tmp", 40, days=0)
    (root / "fresh-empty").mkdir()

    (root / "old-link-to-dir").symlink_to(outside, target_is_directory=True)
    (root / "old-link-to-file").symlink_to(outside / "precious.txt")
    (root / "new-link").symlink_to(outside / "deep", target_is_directory=True)
    for link in ("old-link-to-dir", "old-link-to-file"):
        _age(root / link, days=4)
    # Directory times last: filling a directory updates its mtime.
    for directory in (root / "stale" / "nested", root / "stale", root / "mixed"):
        _age(directory, days=5)
    return root, outside


def _listing(base: Path) -> set[str]:
    return {str(p.relative_to(base)) for p in base.rglob("*")}


def test_dry_run_deletes_nothing_and_counts_what_would_go(tmp_path: Path) -> None:
    root, _ = _tree(tmp_path)
    before = _listing(tmp_path)

    report = cleanup_paths([root], MAX_AGE, dry_run=True).as_json()

    assert _listing(tmp_path) == before
    assert report["dry_run"] is True
    assert report["files_removed"] == 4
    assert report["links_removed"] == 2
    assert report["dirs_removed"] == 2  # stale/nested and stale
    assert report["error_count"] == 0


def test_only_old_entries_inside_the_root_are_removed(tmp_path: Path) -> None:
    root, outside = _tree(tmp_path)
    outside_before = _listing(outside)
    old_link_bytes = sum(
        len(os.readlink(root / n)) for n in ("old-link-to-dir", "old-link-to-file")
    )

    report = cleanup_paths([root], MAX_AGE).as_json()

    assert _listing(root) == {
        "new.log",
        "mixed",
        "mixed/fresh.tmp",
        "fresh-empty",
        "new-link",
    }
    assert _listing(outside) == outside_before  # nothing behind a link was touched
    assert report["files_removed"] == 4
    assert report["links_removed"] == 2
    assert report["dirs_removed"] == 2
    assert report["bytes_removed"] == 100 + 10 + 20 + 30 + old_link_bytes
    assert report["errors"] == []
    assert root.is_dir()


def test_the_root_is_never_removed_and_a_second_run_finds_nothing(tmp_path: Path) -> None:
    root = tmp_path / "root"
    _write(root / "only.tmp", 5, days=9)
    _age(root, days=9)

    first = cleanup_paths([root], MAX_AGE).as_json()
    second = cleanup_paths([root], MAX_AGE).as_json()

    assert root.is_dir() and not any(root.iterdir())
    assert first["files_removed"] == 1 and first["dirs_removed"] == 0
    assert second["files_removed"] == second["dirs_removed"] == second["bytes_removed"] == 0


def test_a_symlinked_root_is_resolved_once_and_missing_roots_are_reported(tmp_path: Path) -> None:
    real = tmp_path / "real"
    _write(real / "old.tmp", 3, days=2)
    alias = tmp_path / "alias"
    alias.symlink_to(real, target_is_directory=True)
    missing = tmp_path / "missing"

    report = cleanup_paths([alias, missing], MAX_AGE).as_json()

    assert not (real / "old.tmp").exists()
    assert report["files_removed"] == 1
    assert report["errors"] == [{"path": str(missing), "error": "does not exist"}]


def _nested(root: Path, depth: int) -> Path:
    """``depth`` directories one inside the other, all old, an old file at the bottom."""
    path = root
    for _ in range(depth):
        path = path / "d"
    _write(path / "bottom.tmp", 1, days=9)
    while path != root:
        _age(path, days=9)
        path = path.parent
    return root


def test_a_deep_tree_is_walked_without_recursion(tmp_path: Path) -> None:
    root = _nested(tmp_path / "root", 400)

    report = cleanup_paths([root], MAX_AGE).as_json()

    assert report["errors"] == []
    assert (report["files_removed"], report["dirs_removed"]) == (1, 400)
    assert root.is_dir() and not any(root.iterdir())


def test_a_tree_deeper_than_the_bound_is_reported_and_the_rest_cleaned(tmp_path: Path) -> None:
    root = _nested(tmp_path / "root", MAX_DEPTH + 5)
    _write(root / "old.tmp", 3, days=9)

    report = cleanup_paths([root], MAX_AGE).as_json()

    assert report["files_removed"] == 1 and not (root / "old.tmp").exists()
    assert report["dirs_removed"] == 0  # each level still holds the one too deep
    [error] = report["errors"]
    assert error["path"].endswith("/d" * (MAX_DEPTH + 1))
    assert f"more than {MAX_DEPTH} directories deep" in error["error"]


def test_a_checkpoint_that_raises_stops_the_sweep_where_it_is(tmp_path: Path) -> None:
    # An aborted job's checkpoint raises: nothing after that point is deleted.
    root = tmp_path / "root"
    for i in range(10):
        _write(root / f"old{i}.tmp", 10, days=3)
    calls = 0

    class Stop(Exception):
        pass

    def checkpoint() -> None:
        nonlocal calls
        calls += 1
        if calls > 4:
            raise Stop

    with pytest.raises(Stop):
        cleanup_paths([root], MAX_AGE, checkpoint=checkpoint)
    assert len(list(root.iterdir())) == 6
