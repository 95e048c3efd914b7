"""Backups hold every user's data: their files and directory are the owner's alone."""

from __future__ import annotations

import os
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path) -> Path:
    """Create ``path`` (and its parents) if needed; make ``path`` itself owner-only."""
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    if path.stat().st_mode & 0o777 != DIR_MODE:
        os.chmod(path, DIR_MODE)  # an existing directory keeps its mode through mkdir
    return path


def open_private(path: Path) -> int:
    """A descriptor of ``path`` truncated for writing, owner-only from its creation."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, FILE_MODE)
    os.fchmod(fd, FILE_MODE)  # an existing file keeps its mode through O_CREAT
    return fd


def write_private(path: Path, text: str) -> None:
    with os.fdopen(open_private(path), "w") as handle:
        handle.write(text)
