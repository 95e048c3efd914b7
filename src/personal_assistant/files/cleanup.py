"""Delete old files under configured root directories, never leaving a root.

The walk works on directory file descriptors opened with ``O_NOFOLLOW``, the technique
of ``shutil.rmtree``'s safe mode: a symlink is never followed, and a directory swapped
for a symlink between the scan and the delete cannot redirect a delete elsewhere.

What is removed, under each root:
- regular files whose modification time is older than the cutoff;
- symlinks that are themselves older than the cutoff (by the link's own ``lstat``
  time). Removing a link never touches its target, wherever that is;
- subdirectories that are empty after the sweep and were already older than the
  cutoff before it, so a directory an application just created is kept.
Never removed: a root itself, sockets, FIFOs and devices, anything on another
filesystem mounted below a root (like ``find -xdev``), anything more than ``MAX_DEPTH``
directories deep (reported). The walk is iterative; a problem with one entry is
reported for that entry and the sweep goes on.

The sweep runs in a thread; ``checkpoint`` is called before each entry, so a job that
is aborted stops deleting at the next entry (it raises there).
"""

from __future__ import annotations

import logging
import os
import stat
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from personal_assistant.logs import log_fields

logger = logging.getLogger("personal_assistant.files")

MAX_ERRORS_REPORTED = 20
# Directories below a root that are swept; each level holds one open descriptor.
MAX_DEPTH = 512
_OPEN_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)


@dataclass
class CleanupReport:
    dry_run: bool
    roots: list[str]
    files_removed: int = 0
    links_removed: int = 0
    dirs_removed: int = 0
    bytes_removed: int = 0
    errors: list[dict[str, str]] = field(default_factory=list)

    def error(self, path: Path, problem: BaseException | str) -> None:
        if isinstance(problem, OSError) and problem.strerror:
            reason = problem.strerror
        else:
            reason = str(problem)
        self.errors.append({"path": str(path), "error": reason})

    def as_json(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "roots": self.roots,
            "files_removed": self.files_removed,
            "links_removed": self.links_removed,
            "dirs_removed": self.dirs_removed,
            "bytes_removed": self.bytes_removed,
            "error_count": len(self.errors),
            "errors": self.errors[:MAX_ERRORS_REPORTED],
        }


@dataclass(frozen=True)
class _Sweep:
    cutoff: float
    dry_run: bool
    device: int
    report: CleanupReport
    checkpoint: Callable[[], None] | None = None


def cleanup_paths(
    roots: Sequence[Path],
    max_age: timedelta,
    *,
    dry_run: bool = False,
    now: float | None = None,
    checkpoint: Callable[[], None] | None = None,
) -> CleanupReport:
    """Remove what is older than ``max_age`` under each root (see the module docstring).

    With ``dry_run`` nothing is removed; the report counts what would be.
    """
    cutoff = (time.time() if now is None else now) - max_age.total_seconds()
    report = CleanupReport(dry_run=dry_run, roots=[str(root) for root in roots])
    for root in roots:
        _sweep_root(Path(root), cutoff, dry_run, report, checkpoint)
    logger.info(
        "cleanup %s: %d file(s), %d link(s), %d dir(s), %d byte(s), %d error(s)",
        "dry run" if dry_run else "done",
        report.files_removed,
        report.links_removed,
        report.dirs_removed,
        report.bytes_removed,
        len(report.errors),
        extra=log_fields("cleanup_temp_files", report.as_json()),
    )
    return report


def _sweep_root(
    root: Path,
    cutoff: float,
    dry_run: bool,
    report: CleanupReport,
    checkpoint: Callable[[], None] | None,
) -> None:
    # The operator named the root, so a symlink in its own path is resolved once; below
    # it nothing is followed.
    try:
        real = root.resolve(strict=True)
        fd = os.open(real, _OPEN_DIR)
    except FileNotFoundError:
        report.error(root, "does not exist")
        return
    except NotADirectoryError:
        report.error(root, "is not a directory")
        return
    except OSError as exc:
        report.error(root, exc)
        return
    try:
        sweep = _Sweep(
            cutoff=cutoff,
            dry_run=dry_run,
            device=os.fstat(fd).st_dev,
            report=report,
            checkpoint=checkpoint,
        )
        _sweep_tree(fd, real, sweep)
    finally:
        os.close(fd)


@dataclass
class _Frame:
    """A directory being swept: its open descriptor and how far its sweep has got."""

    fd: int
    path: Path
    names: list[str]
    info: os.stat_result | None  # as seen from the parent, before the sweep; None: a root
    remaining: int = 0


def _sweep_tree(root_fd: int, root: Path, sweep: _Sweep) -> None:
    """Sweep the tree under ``root_fd`` with an explicit stack, however deep it is.

    Each level holds one descriptor (the parent is needed to remove a child safely), so
    the depth is bounded: a deeper directory is reported and left alone.
    """
    stack = [_Frame(fd=root_fd, path=root, names=_names(root_fd, root, sweep) or [], info=None)]
    try:
        while stack:
            frame = stack[-1]
            if not frame.names:
                stack.pop()
                if stack:
                    _finish_subdir(stack[-1], frame, sweep)
                continue
            if sweep.checkpoint is not None:
                sweep.checkpoint()
            name = frame.names.pop()
            path = frame.path / name
            child = _enter_or_sweep(frame.fd, name, path, sweep, depth=len(stack))
            if isinstance(child, _Frame):
                stack.append(child)
            elif not child:
                frame.remaining += 1
    finally:
        for frame in stack[1:]:  # only after an unexpected error: the root is the caller's
            os.close(frame.fd)


def _names(dir_fd: int, path: Path, sweep: _Sweep) -> list[str] | None:
    try:
        with os.scandir(dir_fd) as entries:
            return [entry.name for entry in entries]
    except OSError as exc:
        sweep.report.error(path, exc)
        return None


def _enter_or_sweep(dir_fd: int, name: str, path: Path, sweep: _Sweep, depth: int) -> _Frame | bool:
    """A frame for a subdirectory to descend into, else whether the entry is gone."""
    try:
        info = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return True  # removed by someone else meanwhile
    except OSError as exc:
        sweep.report.error(path, exc)
        return False
    if stat.S_ISDIR(info.st_mode):
        return _open_subdir(dir_fd, name, path, info, sweep, depth)
    return _sweep_entry(dir_fd, name, path, info, sweep)


def _sweep_entry(dir_fd: int, name: str, path: Path, info: os.stat_result, sweep: _Sweep) -> bool:
    """Handle one file or link; return whether it is gone (or would be)."""
    is_link = stat.S_ISLNK(info.st_mode)
    if not (is_link or stat.S_ISREG(info.st_mode)) or info.st_mtime >= sweep.cutoff:
        return False
    if not sweep.dry_run:
        try:
            os.unlink(name, dir_fd=dir_fd)
        except FileNotFoundError:
            return True
        except OSError as exc:
            sweep.report.error(path, exc)
            return False
    if is_link:
        sweep.report.links_removed += 1
    else:
        sweep.report.files_removed += 1
    sweep.report.bytes_removed += info.st_size
    return True


def _open_subdir(
    parent_fd: int, name: str, path: Path, info: os.stat_result, sweep: _Sweep, depth: int
) -> _Frame | bool:
    if info.st_dev != sweep.device:
        return False  # another filesystem is mounted here: not ours to clean
    if depth > MAX_DEPTH:
        sweep.report.error(path, f"more than {MAX_DEPTH} directories deep; not cleaned")
        return False
    try:
        fd = os.open(name, _OPEN_DIR, dir_fd=parent_fd)
    except OSError as exc:
        sweep.report.error(path, exc)
        return False
    opened = os.fstat(fd)
    if (opened.st_dev, opened.st_ino) != (info.st_dev, info.st_ino):
        sweep.report.error(path, "was replaced during cleanup; skipped")
        os.close(fd)
        return False
    names = _names(fd, path, sweep)
    if names is None:
        os.close(fd)
        return False
    return _Frame(fd=fd, path=path, names=names, info=info)


def _finish_subdir(parent: _Frame, child: _Frame, sweep: _Sweep) -> None:
    """The child's sweep is over: close it, and remove it if it is empty and was old."""
    os.close(child.fd)
    assert child.info is not None
    # ``info`` was taken before the sweep, whose deletions touch the directory's mtime.
    if child.remaining or child.info.st_mtime >= sweep.cutoff:
        parent.remaining += 1
        return
    if not sweep.dry_run:
        try:
            os.rmdir(child.path.name, dir_fd=parent.fd)
        except FileNotFoundError:
            return
        except OSError:
            parent.remaining += 1  # something new appeared in it meanwhile: keep it
            return
    sweep.report.dirs_removed += 1
