"""The backup archive on disk: naming, manifest, checksum, listing and verification.

One backup is ``pa-backup-<UTC time>[-<job id>].tar.gz`` plus ``<archive>.sha256`` in
``sha256sum`` format (so ``sha256sum -c`` checks it too) and, with a signing key,
``<archive>.hmac`` (see ``signing``). The archive holds ``manifest.json`` first, then
either ``dump.sql`` (pg_dump, data only) or one ``data/<table>.copy`` file per table
(PostgreSQL COPY text format), and nothing else.
"""

from __future__ import annotations

import hashlib
import io
import re
import tarfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from personal_assistant.errors import AssistantError, BadInput, NotFound
from personal_assistant.files.dump import CopyEnd, read_dump
from personal_assistant.files.manifest import Manifest, parse_manifest
from personal_assistant.files.private import write_private
from personal_assistant.files.signing import signature_path, signature_problem

PREFIX = "pa-backup-"
SUFFIX = ".tar.gz"
CHECKSUM_SUFFIX = ".sha256"
MANIFEST = "manifest.json"
DUMP_MEMBER = "dump.sql"
MAX_MANIFEST_BYTES = 1 << 20
_NAME = re.compile(r"^pa-backup-\d{8}T\d{6}Z(-\d+)?$")


class BackupError(AssistantError):
    """The backup could not be made."""


class BackupCorrupt(BadInput):
    """The backup archive is damaged (or forged): untrusted input, refused with exit 2."""


def backup_name(taken_at: datetime, job_id: int | None = None) -> str:
    """The name of the backup taken at ``taken_at``, by job ``job_id`` if a job took it."""
    stamp = PREFIX + taken_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return stamp if job_id is None else f"{stamp}-{job_id}"


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


def write_checksum(archive: Path, source: Path | None = None) -> str:
    """Record the checksum of ``archive`` (whose bytes are in ``source`` until it is renamed)."""
    digest = sha256_of(source or archive)
    write_private(checksum_path(archive), f"{digest}  {archive.name}\n")
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
    manifest: Manifest | None
    has_checksum: bool

    def as_json(self) -> dict[str, Any]:
        manifest = self.manifest
        return {
            "name": self.name,
            "path": str(self.path),
            "size_bytes": self.size_bytes,
            "created_at": manifest.created_at if manifest else None,
            "method": manifest.method if manifest else None,
            "tables": len(manifest.tables) if manifest else 0,
            "rows": manifest.rows if manifest else 0,
            "has_checksum": self.has_checksum,
        }


# What reading a truncated or damaged archive can raise, from tarfile, gzip and zlib
# (and ValueError covers a malformed manifest, a refused dump and invalid UTF-8).
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
        if not _NAME.match(name) or not path.is_file():
            continue
        try:
            manifest: Manifest | None = read_manifest(path)
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


def read_manifest(archive: Path) -> Manifest:
    with tarfile.open(archive, "r:gz") as tar:
        return parse_manifest(_read_member(tar, MANIFEST))


def prune_backups(directory: Path, keep: int) -> list[str]:
    """Delete all but the newest ``keep`` backups; return the names removed."""
    removed = []
    for info in list_backups(directory)[:-keep] if keep > 0 else []:
        info.path.unlink(missing_ok=True)
        checksum_path(info.path).unlink(missing_ok=True)
        signature_path(info.path).unlink(missing_ok=True)
        removed.append(info.name)
    return removed


@dataclass
class VerifyReport:
    name: str
    checksum: str | None = None
    problems: list[str] = field(default_factory=list)
    manifest: Manifest | None = None

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


def verify_backup(archive: Path, signing_key: bytes | None = None) -> VerifyReport:
    """Check the checksum and signature, then read every member as a restore would: the
    manifest must be well formed, the archive must hold its tables' data and nothing
    else, and every table's row count must match."""
    report = VerifyReport(name=archive.name.removesuffix(SUFFIX))
    _check_checksum(archive, report)
    unsigned = signature_problem(archive, signing_key)
    if unsigned:
        report.problems.append(unsigned)
    try:
        with tarfile.open(archive, "r:gz") as tar:
            manifest = parse_manifest(_read_member(tar, MANIFEST))
            counted = _counted_rows(tar, manifest)
    except UNREADABLE as exc:
        report.problems.append(f"archive cannot be read: {exc}")
        return report
    if manifest.name != report.name:
        report.problems.append(f"the manifest names backup {manifest.name!r}, not this one")
    for table in manifest.tables:
        rows = counted.get(table.name)
        if rows is None:
            report.problems.append(f"data for table {table.name} is missing")
        elif rows != table.rows:
            report.problems.append(
                f"table {table.name}: {rows} row(s) in the archive, manifest says {table.rows}"
            )
    report.manifest = manifest
    return report


def _check_checksum(archive: Path, report: VerifyReport) -> None:
    report.checksum = sha256_of(archive)
    recorded = checksum_path(archive)
    if not recorded.is_file():
        report.problems.append(f"checksum file {recorded.name} is missing")
        return
    words = recorded.read_text(errors="replace").split()
    expected = words[0] if words else ""
    if expected != report.checksum:
        report.problems.append(
            f"checksum mismatch: file is {report.checksum}, {recorded.name} says {expected[:64]!r}"
        )


def member(tar: tarfile.TarFile, name: str) -> IO[bytes]:
    """The regular file ``name`` of the archive (a link or directory is damage)."""
    info = tar.getmember(name)  # KeyError when absent
    handle = tar.extractfile(info) if info.isfile() else None
    if handle is None:
        raise ValueError(f"{name} is not a regular file")
    return handle


def _read_member(tar: tarfile.TarFile, name: str) -> bytes:
    try:
        data = member(tar, name).read(MAX_MANIFEST_BYTES + 1)
    except KeyError:
        raise ValueError(f"{name} is missing") from None
    if len(data) > MAX_MANIFEST_BYTES:
        raise ValueError(f"{name} is larger than {MAX_MANIFEST_BYTES} bytes")
    return data


def expected_members(manifest: Manifest) -> set[str]:
    if manifest.method == "pg_dump":
        return {MANIFEST, DUMP_MEMBER}
    return {MANIFEST, *(copy_member(table.name) for table in manifest.tables)}


def _counted_rows(tar: tarfile.TarFile, manifest: Manifest) -> dict[str, int]:
    names = tar.getnames()
    expected = expected_members(manifest)
    extra = sorted(set(names) - expected)
    if extra or len(names) != len(set(names)):
        raise ValueError(
            f"the archive holds {extra[0] if extra else 'a member twice'!r}, "
            "which is not part of a backup"
        )
    if manifest.method == "pg_dump":
        if DUMP_MEMBER not in names:
            return {}
        return {
            item.table: item.rows
            for item in read_dump(lines(member(tar, DUMP_MEMBER)), manifest)
            if isinstance(item, CopyEnd)
        }
    counts = {}
    for table in manifest.tables:
        name = copy_member(table.name)
        if name in names:
            counts[table.name] = _copy_rows(name, lines(member(tar, name)))
    return counts


def _copy_rows(name: str, rows: Iterator[str]) -> int:
    """Rows of a COPY text file: one per line, as newlines inside values are escaped."""
    count = 0
    for count, row in enumerate(rows, start=1):
        if row == "\\.":  # COPY's end-of-data marker: what follows would not be loaded
            raise ValueError(f"{name} line {count} is an end-of-data marker")
    return count


def lines(handle: IO[bytes]) -> Iterator[str]:
    """The lines of a UTF-8 member, without their newline (invalid UTF-8 is a ValueError)."""
    for raw in io.TextIOWrapper(handle, encoding="utf-8", newline="\n"):
        yield raw.removesuffix("\n")
