"""`pa-tasks sync` and `pa-tasks events` end to end: in process, and queued for a worker."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.calendar_samples import VERSION_1, VERSION_2
from tests.support.db import job_status, scalar
from tests.support.processes import run_cli, running_worker, wait_for


def test_sync_now_then_list_events(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    feed = tmp_path / "cal.ics"
    feed.write_bytes(VERSION_1)
    monkeypatch.setenv("PA_CALENDAR_FEEDS", str(feed))

    synced = run_cli("sync", "calendar", "--now", "--json")
    assert synced.code == 0, synced.err
    assert synced.json()["added"] == 6 and synced.json()["conflicts"] == 1

    listed = run_cli("events", "list", "--json", "--to", "2099-01-01")
    assert listed.code == 0, listed.err
    events = listed.json()
    assert [e["summary"] for e in events][:2] == ["Holiday", "Standup"]
    assert {e["summary"]: e["conflicts"] for e in events}["Dentist"] == 1

    upcoming = run_cli("events", "list", "--from", "tomorrow", "--to", "2099-01-01", "--json")
    assert upcoming.code == 0, upcoming.err
    bad = run_cli("events", "list", "--from", "the day after never")
    assert bad.code == 2 and "--from: could not understand" in bad.err
    backwards = run_cli("events", "list", "--from", "2026-02-01", "--to", "2026-01-01")
    assert backwards.code == 2 and "--to must be after --from" in backwards.err


def test_sync_without_now_queues_a_job_that_a_worker_runs(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    feed = tmp_path / "cal.ics"
    feed.write_bytes(VERSION_2)
    monkeypatch.setenv("PA_CALENDAR_FEEDS", str(feed))

    queued = run_cli("sync", "calendar")
    assert queued.code == 0, queued.err
    job_id = int(queued.out)
    again = run_cli("sync", "calendar")
    assert again.code == 2 and "already waiting" in again.err

    with running_worker(tmp_path, "--queues", "sync_tasks"):
        wait_for(lambda: job_status(database_url, job_id) == "succeeded", 30, "sync job")

    result = scalar(database_url, "SELECT result FROM job_results WHERE job_id = %s", job_id)
    assert result["added"] == 6 and result["conflicts"] == 0
    assert scalar(
        database_url, "SELECT task_name FROM procrastinate_jobs WHERE id = %s", job_id
    ) == ("sync:sync_calendar_events")


def test_calendar_sync_errors_exit_non_zero_and_never_delete_a_dropped_feed(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = tmp_path / "a.ics", tmp_path / "b.ics"
    first.write_bytes(VERSION_1)
    second.write_bytes(VERSION_2)
    monkeypatch.setenv("PA_CALENDAR_FEEDS", f"{first},{second}")
    assert run_cli("sync", "calendar", "--now").code == 0
    events = scalar(database_url, "SELECT count(*) FROM calendar_events")

    # b.ics is dropped from the settings while a.ics's path is mistyped: the run fails,
    # and b.ics keeps its events until a run without errors.
    monkeypatch.setenv("PA_CALENDAR_FEEDS", str(tmp_path / "typo.ics"))
    failed = run_cli("sync", "calendar", "--now")
    assert failed.code == 1, failed.err
    assert "errors 1" in failed.out
    assert "typo.ics" in failed.out
    assert "kept feed" in failed.out and "b.ics" in failed.out
    assert scalar(database_url, "SELECT count(*) FROM calendar_events") == events

    monkeypatch.setenv("PA_CALENDAR_FEEDS", str(first))
    cleaned = run_cli("sync", "calendar", "--now")
    assert cleaned.code == 0, cleaned.err
    assert "removed feed" in cleaned.out and "b.ics" in cleaned.out
    assert "event(s)" in cleaned.out


def test_calendar_sync_without_feeds_says_so(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PA_CALENDAR_FEEDS", "")
    result = run_cli("sync", "calendar", "--now")
    assert result.code == 0, result.err
    assert "no calendar feeds configured" in result.err
