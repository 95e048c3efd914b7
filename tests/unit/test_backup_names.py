"""A backup taken by hand never takes the name of one taken the same second."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from personal_assistant.files import archive as arc
from personal_assistant.files.backup import unused_second


async def test_a_backup_by_hand_waits_for_a_name_of_its_own(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    arc.archive_path(tmp_path, arc.backup_name(now)).write_bytes(b"taken moments before")
    taken_at = await unused_second(tmp_path)
    assert taken_at > now
    assert arc.backup_name(taken_at) != arc.backup_name(now)
    assert not arc.archive_path(tmp_path, arc.backup_name(taken_at)).exists()


async def test_a_free_second_is_taken_at_once(tmp_path: Path) -> None:
    before = datetime.now(UTC)
    taken_at = await unused_second(tmp_path)
    assert (taken_at - before).total_seconds() < 0.5
