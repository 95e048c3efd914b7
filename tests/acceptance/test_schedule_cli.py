"""The schedule commands: previews, listings, and bad input that writes nothing."""

from __future__ import annotations

import pytest

from tests.support.db import table_counts
from tests.support.processes import run_cli
from tests.support.refusal import assert_refused


def test_next_previews_from_an_instant_in_a_zone(database_url: str) -> None:
    before = table_counts(database_url)
    result = run_cli(
        "schedule",
        "next",
        "every weekday at 8:30",
        "--count",
        "3",
        "--tz",
        "Europe/Paris",
        "--from",
        "2026-12-24T00:00:00Z",
        "--json",
    )
    assert result.code == 0, result.err
    assert result.json() == [
        "2026-12-24T07:30:00Z",
        "2026-12-25T07:30:00Z",
        "2026-12-28T07:30:00Z",
    ]
    assert table_counts(database_url) == before


def test_list_shows_stored_and_system_schedules(database_url: str) -> None:
    added = run_cli(
        "schedule",
        "add",
        "standup",
        "ping",
        "every weekday at 8:30",
        "--tz",
        "Europe/Paris",
        "--args",
        '{"message": "standup"}',
    )
    assert added.code == 0, added.err
    assert "at 08:30, Monday to Friday (Europe/Paris)" in added.out
    listing = run_cli("schedule", "list", "--json").json()
    [stored] = listing["schedules"]
    assert stored["name"] == "standup"
    assert stored["task"] == "maintenance:ping"
    assert stored["description"] == "at 08:30, Monday to Friday (Europe/Paris)"
    system = {s["task"] for s in listing["system"]}
    assert {"maintenance:rescue_stalled_jobs", "schedules:dispatch_schedules"} <= system
    shown = run_cli("schedule", "show", "standup", "--json").json()
    assert len(shown["upcoming"]) == 5


BAD = {
    "unparseable schedule": (["schedule", "add", "x", "ping", "every blursday"], "every blursday"),
    "unknown task": (["schedule", "add", "x", "nope", "every day"], "unknown task 'nope'"),
    "unknown zone": (
        ["schedule", "add", "x", "ping", "every day", "--tz", "Mars/Base"],
        "Mars/Base",
    ),
    "bad args": (["schedule", "add", "x", "ping", "every day", "--args", "[]"], "JSON object"),
    "args off the payload": (
        ["schedule", "add", "x", "ping", "every day", "--args", '{"bogus": 1}'],
        "bogus",
    ),
    "bad misfire": (["schedule", "add", "x", "ping", "every day", "--misfire", "often"], "misfire"),
    "unknown queue": (
        ["schedule", "add", "x", "ping", "every day", "--queue", "q"],
        "unknown queue",
    ),
    "unknown name (show)": (["schedule", "show", "ghost"], "no schedule named 'ghost'"),
    "unknown name (pause)": (["schedule", "pause", "ghost"], "no schedule named 'ghost'"),
    "unknown name (resume)": (["schedule", "resume", "ghost"], "no schedule named 'ghost'"),
    "unknown name (delete)": (["schedule", "delete", "ghost"], "no schedule named 'ghost'"),
    "unknown name (edit)": (["schedule", "edit", "ghost", "--schedule", "hourly"], "ghost"),
    "bad preview": (["schedule", "next", "whenever"], "whenever"),
    "bad --from": (["schedule", "next", "hourly", "--from", "yesterdayish"], "--from"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_is_one_line_exit_2_nothing_written(database_url: str, case: str) -> None:
    args, expected = BAD[case]
    assert_refused(database_url, args, expected)


def test_duplicate_name_is_refused(database_url: str) -> None:
    assert run_cli("schedule", "add", "dup", "ping", "hourly").code == 0
    before = table_counts(database_url)
    again = run_cli("schedule", "add", "dup", "ping", "daily")
    assert again.code == 2
    assert "exists" in again.err
    assert table_counts(database_url) == before
