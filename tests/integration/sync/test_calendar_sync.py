"""Calendar sync against a real HTTP server on loopback and a real file feed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from personal_assistant.db.session import dispose_engine
from personal_assistant.resilience.breaker import CircuitOpen
from personal_assistant.sync.calendar import CalendarUnavailable, sync_calendars
from tests.support.calendar_samples import BASE, VERSION_1, VERSION_2
from tests.support.db import query
from tests.support.feed_server import FeedServer


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    with FeedServer() as server:
        yield server


def _events(url: str) -> dict[tuple[str, str], tuple[Any, ...]]:
    rows = query(
        url,
        "SELECT uid, recurrence_id, summary, starts_at, conflicts, updated_at FROM calendar_events",
    )
    return {(r[0], r[1]): r[2:] for r in rows}


def _summaries(url: str) -> set[str]:
    return {row[0] for row in _events(url).values()}


async def test_http_feed_adds_updates_removes_and_304_changes_nothing(
    database_url: str, feed_server: FeedServer
) -> None:
    source = f"{feed_server.url}/cal.ics"

    first = (await sync_calendars([source], request_timeout=5)).as_json()
    assert (first["added"], first["updated"], first["removed"]) == (6, 0, 0)
    assert first["conflicts"] == 1
    pair = first["conflict_pairs"][0]
    assert {pair["a"]["summary"], pair["b"]["summary"]} == {"Standup", "Dentist"}
    events = _events(database_url)
    assert events[("a@test", "")][2] == 1 and events[("c@test", "")][2] == 0
    moved = events[("e@test", (BASE + timedelta(hours=14 + 7 * 24)).isoformat())]
    assert moved[0] == "Weekly review (moved)"
    assert first["feeds"][0]["feed"] == "http://127.0.0.1/…"  # no path: it may hold a secret

    second = (await sync_calendars([source], request_timeout=5)).as_json()
    assert second["feeds"][0]["status"] == "not_modified"
    assert (second["added"], second["updated"], second["removed"]) == (0, 0, 0)
    assert feed_server.requests[-1]["headers"]["If-None-Match"].startswith('"')
    assert feed_server.requests[-1]["headers"]["If-Modified-Since"].endswith("GMT")
    assert _events(database_url) == events  # untouched, down to updated_at

    feed_server.body = VERSION_2
    third = (await sync_calendars([source], request_timeout=5)).as_json()
    await dispose_engine()
    assert (third["added"], third["updated"], third["removed"], third["unchanged"]) == (1, 1, 1, 4)
    assert third["conflicts"] == 0
    assert _summaries(database_url) == {
        "Standup (new room)",
        "Lunch",
        "Holiday",
        "Weekly review",
        "Weekly review (moved)",
        "Gym",
    }
    feed = query(database_url, "SELECT etag, last_modified, event_count FROM calendar_feeds")
    assert feed[0][0].startswith('"') and feed[0][1].endswith("GMT") and feed[0][2] == 6


async def test_file_feed_uses_mtime_and_size(database_url: str, tmp_path: Path) -> None:
    path = tmp_path / "cal.ics"
    path.write_bytes(VERSION_1)

    first = (await sync_calendars([str(path)], request_timeout=5)).as_json()
    second = (await sync_calendars([str(path)], request_timeout=5)).as_json()
    path.write_bytes(VERSION_2)
    third = (await sync_calendars([str(path)], request_timeout=5)).as_json()
    removed_feed = (await sync_calendars([], request_timeout=5)).as_json()
    await dispose_engine()

    assert first["added"] == 6
    assert second["feeds"][0]["status"] == "not_modified"
    assert (third["added"], third["updated"], third["removed"]) == (1, 1, 1)
    assert removed_feed["feeds_removed"] == 1
    assert query(database_url, "SELECT count(*) FROM calendar_events") == [(0,)]


async def test_a_failing_feed_does_not_stop_the_others(
    database_url: str, feed_server: FeedServer, tmp_path: Path
) -> None:
    feed_server.status_override["/down.ics"] = 503
    missing = str(tmp_path / "nope.ics")
    good, down = f"{feed_server.url}/cal.ics", f"{feed_server.url}/down.ics"
    not_ics = tmp_path / "bad.ics"
    not_ics.write_text("hello")

    with pytest.raises(CalendarUnavailable, match="1 calendar feed"):
        await sync_calendars(
            [good, f"{feed_server.url}/gone.ics", missing, str(not_ics), down], request_timeout=5
        )
    await dispose_engine()

    assert len(_events(database_url)) == 6  # the good feed was synced
    errors = dict(query(database_url, "SELECT source, last_error FROM calendar_feeds"))
    assert errors[good] is None
    assert "HTTP 404" in errors[f"{feed_server.url}/gone.ics"]
    assert "no such file" in errors[missing]
    assert "not an iCalendar document" in errors[str(not_ics)]
    assert errors[down].startswith("unavailable:") and "HTTP 503" in errors[down]


async def test_repeated_outages_open_the_calendar_breaker(
    database_url: str, feed_server: FeedServer
) -> None:
    feed_server.status_override["/down.ics"] = 503
    down = f"{feed_server.url}/down.ics"
    for _ in range(5):  # the breaker's threshold within its window
        with pytest.raises(CalendarUnavailable):
            await sync_calendars([down], request_timeout=5)
    served = len(feed_server.requests)

    with pytest.raises(CircuitOpen) as opened:
        await sync_calendars([down], request_timeout=5)
    await dispose_engine()

    assert len(feed_server.requests) == served  # the server was left alone
    assert 0 < opened.value.delay_seconds <= 30
    state = query(database_url, "SELECT state FROM circuit_breakers WHERE name = 'calendar'")
    assert state == [("open",)]
