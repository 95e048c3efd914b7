"""Authenticate backup archives with HMAC-SHA256 (``PA_BACKUP_SIGNING_KEY``).

The ``.sha256`` file beside an archive only detects damage: whoever can write the
archive can write its checksum too. A signature made with a key the backup directory
does not hold proves the archive was written by a holder of the key. It sits in
``<archive>.hmac`` as ``hmac-sha256 <hex digest>``.
"""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

from personal_assistant.files.private import write_private
from personal_assistant.settings import get_settings

SIGNATURE_SUFFIX = ".hmac"
_SCHEME = "hmac-sha256"


def configured_key() -> bytes | None:
    """PA_BACKUP_SIGNING_KEY as bytes, or None when backups are not signed."""
    secret = get_settings().backup_signing_key
    return secret.get_secret_value().encode() if secret is not None else None


def signature_path(archive: Path) -> Path:
    return archive.with_name(archive.name + SIGNATURE_SUFFIX)


def _digest(archive: Path, key: bytes) -> str:
    mac = hmac.new(key, digestmod=hashlib.sha256)
    with archive.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            mac.update(chunk)
    return mac.hexdigest()


def sign(archive: Path, key: bytes, source: Path | None = None) -> None:
    """Sign ``archive`` (whose bytes are in ``source`` until it is renamed)."""
    write_private(signature_path(archive), f"{_SCHEME} {_digest(source or archive, key)}\n")


def signature_problem(archive: Path, key: bytes | None) -> str | None:
    """Why the archive is not authenticated by ``key``; None when it is (or no key is set)."""
    if key is None:
        return None
    recorded = signature_path(archive)
    if not recorded.is_file():
        return f"it is not signed ({recorded.name} is missing) and PA_BACKUP_SIGNING_KEY is set"
    parts = recorded.read_text(errors="replace").split()
    if len(parts) != 2 or parts[0] != _SCHEME:
        return f"{recorded.name} is not an {_SCHEME} signature"
    if not hmac.compare_digest(parts[1], _digest(archive, key)):
        return f"signature mismatch: {recorded.name} was not made with PA_BACKUP_SIGNING_KEY"
    return None
