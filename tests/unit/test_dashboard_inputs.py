"""Parsing of the dashboard's filters and masking of secrets: pure functions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from personal_assistant.errors import BadInput
from personal_assistant.jobs.search import parse_arg, parse_filter
from personal_assistant.web.masking import MASK, masked
from personal_assistant.web.security import is_loopback

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("user:ada", {"user": "ada"}),
        ("count:3", {"count": 3}),
        ("flag:true", {"flag": True}),
        ("a.b:x y", {"a": {"b": "x y"}}),
        ('tags:["x"]', {"tags": ["x"]}),
        ("url:http://h/p", {"url": "http://h/p"}),
    ],
)
def test_argument_filter_is_json_containment(text: str, expected: object) -> None:
    assert parse_arg(text) == expected


@pytest.mark.parametrize("text", ["nocolon", ":x", "bad key:1", "a..b:1", "1a:2", "x" * 70 + ":1"])
def test_bad_argument_filters_are_refused(text: str) -> None:
    with pytest.raises(BadInput, match="key:value"):
        parse_arg(text)


def test_time_filters_take_ages_and_iso_times() -> None:
    found = parse_filter(since="6h", until="2026-11-30T11:00", now=NOW)
    assert found.since == NOW - timedelta(hours=6)
    assert found.until == datetime(2026, 11, 30, 11, 0, tzinfo=UTC)
    with pytest.raises(BadInput, match="neither an ISO time"):
        parse_filter(since="last tuesday", now=NOW)
    with pytest.raises(BadInput, match="unknown status"):
        parse_filter(status="lost")
    assert parse_filter(status=" ", queue="").empty


def test_where_binds_every_value() -> None:
    flt = parse_filter(task="x'; DROP TABLE procrastinate_jobs; --", arg="k:'v'")
    where, params = flt.where()
    assert "DROP" not in where and "'v'" not in where
    assert params["task"].startswith("x'")


def test_secrets_are_masked_at_any_depth() -> None:
    value = {
        "message": "hi",
        "api_key": "sk-1",
        "nested": [{"Password": "p", "ok": 1}, {"refresh_token": "t"}],
        "dsn": "postgresql://user:pw@db:5432/x",
    }
    assert masked(value) == {
        "message": "hi",
        "api_key": MASK,
        "nested": [{"Password": MASK, "ok": 1}, {"refresh_token": MASK}],
        "dsn": f"postgresql://user:{MASK}@db:5432/x",
    }


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("::1", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("192.168.1.2", False),
        ("example.org", False),
        ("", False),
    ],
)
def test_loopback_addresses(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback
