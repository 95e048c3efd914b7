"""The backup archive on disk: naming, manifest, checksum, listing and verification.

One backup is ``pa-backup-<UTC time>.tar.gz`` plus ``<archive>.sha256`` in
``sha256sum`` format (so ``sha256sum -c`` checks it too). The archive holds
``manifest.json`` first, then either ``dump.sql`` (pg_dump, data only) or one
``data/<table>.copy`` file per table (PostgreSQL COPY text format).
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import tarfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from personal_assistant.errors import AssistantError, BadInput, NotFound

PREFIX = "pa-backup-"
SUFFIX = ".tar.gz"
CHECKSUM_SUFFIX = ".sha256"
MANIFEST = "manifest.json"
DUMP_MEMBER = "dump.sql"
FORMAT_VERSION = 1
_NAME = re.compile(r"^pa-backup-\d{8}T\d{6}Z(-\d+)?$")
_COPY_HEADER = re.compile(r"^COPY (\S+) \(.*\) FROM stdin;$")


class BackupError(AssistantError):
    """The backup could not be made."""


class BackupCorrupt(AssistantError):
    """The backup archive is damaged."""


def backup_name(taken_at: datetime) -> str:
    return PREFIX + taken_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def archive_path(directory: Path, name: str) -> Path:
    return directory / f"{name}{SUFFIX}"


def checksum_path(archive: Path) -> Path:
    return archive.with_name(archive.name + CHECKSUM_SUFFIX)


def copy_member(table: str) -> str:
    return f"data/{table}.copy"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def write_checksum(archive: Path) -> str:
    digest = sha256_of(archive)
    checksum_path(archive).write_text(f"{digest}  {archive.name}\n")
    return digest


def resolve_backup(directory: Path, name: str) -> Path:
    """The archive called ``name`` (with or without ``.tar.gz``) in ``directory``."""
    bare = name.removesuffix(SUFFIX)
    if not _NAME.match(bare):
        raise BadInput(
            f"{name!r} is not a backup name; names look like pa-backup-20260105T010000Z "
            "(see `pa-tasks backup list`)"
        )
    path = archive_path(directory, bare)
    if not path.is_file():
        raise NotFound(f"no backup {bare} in {directory}; `pa-tasks backup list` shows them")
    return path


@dataclass(frozen=True)
class BackupInfo:
    name: str
    path: Path
    size_bytes: int
    manifest: dict[str, Any] | None
    has_checksum: bool

    def as_json(self) -> dict[str, Any]:
        manifest = self.manifest or {}
        return {
            "name": self.name,
            "path": str(self.path),
            "size_bytes": self.size_bytes,
            "created_at": manifest.get("created_at"),
            "method": manifest.get("method"),
            "tables": len(manifest.get("tables", [])),
            "rows": sum(t.get("rows", 0) for t in manifest.get("tables", [])),
            "has_checksum": self.has_checksum,
        }


# What reading a truncated or damaged archive can raise, from tarfile, gzip and zlib.
UNREADABLE: tuple[type[Exception], ...] = (
    OSError,
    EOFError,
    tarfile.TarError,
    zlib.error,
    ValueError,
    KeyError,
)


def list_backups(directory: Path) -> list[BackupInfo]:
    """Backups in ``directory``, oldest first (names sort by time)."""
    if not directory.is_dir():
        return []
    infos = []
    for path in sorted(directory.glob(f"{PREFIX}*{SUFFIX}")):
        name = path.name.removesuffix(SUFFIX)
        if not _NAME.match(name):
            continue
        try:
            manifest: dict[str, Any] | None = read_manifest(path)
        except UNREADABLE:
            manifest = None
        infos.append(
            BackupInfo(
                name=name,
                path=path,
                size_bytes=path.stat().st_size,
                manifest=manifest,
                has_checksum=checksum_path(path).is_file(),
            )
        )
    return infos


def read_manifest(archive: Path) -> dict[str, Any]:
    with tarfile.open(archive, "r:gz") as tar:
        handle = tar.extractfile(MANIFEST)
        if handle is None:
            raise KeyError(MANIFEST)
        manifest: dict[str, Any] = json.load(handle)
        return manifest


def prune_backups(directory: Path, keep: int) -> list[str]:
    """Delete all but the newest ``keep`` backups; return the names removed."""
    removed = []
    for info in list_backups(directory)[:-keep] if keep > 0 else []:
        info.path.unlink(missing_ok=True)
        checksum_path(info.path).unlink(missing_ok=True)
        removed.append(info.name)
    return removed


@dataclass
class VerifyReport:
    name: str
    checksum: str | None = None
    problems: list[str] = field(default_factory=list)
    manifest: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "ok": self.ok,
            "sha256": self.checksum,
            "problems": self.problems,
        }


def verify_backup(archive: Path) -> VerifyReport:
    """Check the checksum, then read every member and compare row counts with the manifest."""
    report = VerifyReport(name=archive.name.removesuffix(SUFFIX))
    _check_checksum(archive, report)
    try:
        with tarfile.open(archive, "r:gz") as tar:
            members = {member.name: member for member in tar.getmembers()}
            if MANIFEST not in members:
                report.problems.append("manifest.json is missing")
                return report
            report.manifest = json.load(_member(tar, MANIFEST))
            counted = _counted_rows(tar, members, report.manifest)
    except UNREADABLE as exc:
        report.problems.append(f"archive cannot be read: {exc}")
        return report
    for table in report.manifest.get("tables", []):
        rows = counted.get(table["name"])
        if rows is None:
            report.problems.append(f"data for table {table['name']} is missing")
        elif rows != table["rows"]:
            report.problems.append(
                f"table {table['name']}: {rows} row(s) in the archive, manifest says {table['rows']}"
            )
    return report


def _check_checksum(archive: Path, report: VerifyReport) -> None:
    report.checksum = sha256_of(archive)
    recorded = checksum_path(archive)
    if not recorded.is_file():
        report.problems.append(f"checksum file {recorded.name} is missing")
        return
    # Anyone may have written it: bytes that are not text are a mismatch, not a crash.
    recorded_text = recorded.read_bytes().decode("ascii", errors="replace")
    expected = recorded_text.split()[0] if recorded_text.strip() else ""
    if expected != report.checksum:
        report.problems.append(
            f"checksum mismatch: file is {report.checksum}, {recorded.name} says {expected}"
        )


def _member(tar: tarfile.TarFile, name: str) -> IO[bytes]:
    handle = tar.extractfile(name)
    if handle is None:
        raise ValueError(f"{name} is not a regular file")
    return handle


def _counted_rows(
    tar: tarfile.TarFile, members: dict[str, tarfile.TarInfo], manifest: dict[str, Any]
) -> dict[str, int]:
    if manifest.get("format_version") != FORMAT_VERSION:
        raise ValueError(f"unknown backup format {manifest.get('format_version')!r}")
    if manifest.get("method") == "pg_dump":
        if DUMP_MEMBER not in members:
            return {}
        return dump_row_counts(_lines(_member(tar, DUMP_MEMBER)))
    counts = {}
    for table in manifest.get("tables", []):
        member = copy_member(table["name"])
        if member in members:
            # COPY text format escapes newlines inside values: one line per row.
            counts[table["name"]] = sum(1 for _ in _lines(_member(tar, member)))
    return counts


def _lines(handle: IO[bytes]) -> Iterator[str]:
    for raw in io.TextIOWrapper(handle, encoding="utf-8", newline="\n"):
        yield raw.rstrip("\n")


def dump_row_counts(lines: Iterator[str]) -> dict[str, int]:
    """Rows per table in a pg_dump plain-format data dump (its ``COPY ... FROM stdin`` blocks)."""
    counts: dict[str, int] = {}
    current: str | None = None
    for line in lines:
        if current is None:
            match = _COPY_HEADER.match(line)
            if match:
                current = match.group(1).rsplit(".", 1)[-1].strip('"')
                counts[current] = 0
        elif line == "\\.":
            current = None
        else:
            counts[current] += 1
    if current is not None:
        raise ValueError(f"the data of table {current} is cut short")
    return counts
