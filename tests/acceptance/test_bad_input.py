"""Bad input: one clear line on stderr, exit status 2, and nothing written."""

from __future__ import annotations

import pytest

from tests.support.processes import run_cli
from tests.support.refusal import assert_refused

CASES = {
    "unknown task": (["defer", "no_such_task"], "unknown task 'no_such_task'"),
    "args not JSON": (["defer", "ping", "--args", "{oops"], "--args is not valid JSON"),
    "args not an object": (["defer", "ping", "--args", "[1, 2]"], "must be a JSON object"),
    "args wrong field": (["defer", "ping", "--args", '{"nope": 1}'], "nope"),
    "args wrong type": (
        ["defer", "ping", "--args", '{"delay_seconds": "soon"}'],
        "delay_seconds",
    ),
    "bad --at": (["defer", "ping", "--at", "the day after never"], "--at"),
    "bad --in": (["defer", "ping", "--in", "ten parsecs"], "--in"),
    "both --at and --in": (["defer", "ping", "--at", "2030-01-01T00:00Z", "--in", "1m"], "either"),
    "unknown queue": (["defer", "ping", "--queue", "nope"], "unknown queue 'nope'"),
    "unknown job id (show)": (["jobs", "show", "987654"], "no job with id 987654"),
    "unknown job id (retry)": (["jobs", "retry", "987654"], "no job with id 987654"),
    "unknown job id (cancel)": (["jobs", "cancel", "987654"], "no job with id 987654"),
    "unknown status filter": (["jobs", "list", "--status", "sleeping"], "unknown status"),
    "unknown worker queue": (["worker", "--queues", "nope"], "unknown queue 'nope'"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_is_one_line_exit_2_nothing_written(database_url: str, case: str) -> None:
    args, expected = CASES[case]
    assert_refused(database_url, args, expected)


def test_unreachable_database_is_one_line_without_traceback(database_url: str) -> None:
    result = run_cli(
        "jobs", "list", env={"DATABASE_URL": "postgresql://nobody@127.0.0.1:1/nowhere"}
    )
    assert result.code == 2
    assert result.err.strip().startswith("error: cannot reach the database")
    assert len(result.err.strip().splitlines()) == 1
    assert "Traceback" not in result.err


def test_invalid_setting_fails_at_start_with_one_line(database_url: str) -> None:
    result = run_cli("queues", env={"PA_POOL_MAX_SIZE": "zero"})
    assert result.code == 2
    assert result.err.strip().splitlines() == [
        "error: invalid setting PA_POOL_MAX_SIZE: Input should be a valid integer, "
        "unable to parse string as an integer"
    ]
