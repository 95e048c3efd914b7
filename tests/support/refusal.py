"""The bad-input contract: one line on stderr, exit status 2, and nothing written."""

from __future__ import annotations

import pytest

from tests.support.db import table_counts
from tests.support.processes import run_cli


def _check(
    database_url: str, before: dict[str, int], code: object, err: str, expected: str
) -> None:
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert expected in lines[0]
    assert "Traceback" not in err
    assert table_counts(database_url) == before


def assert_refused(database_url: str, args: list[str], expected: str) -> None:
    """Run ``pa-tasks ARGS`` as a real process and check that it refused them."""
    before = table_counts(database_url)
    result = run_cli(*args)
    _check(database_url, before, result.code, result.err, expected)


def assert_refused_in_process(
    database_url: str, argv: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The same check through the CLI's entry point in this process (no start-up cost)."""
    from personal_assistant.cli.main import main

    before = table_counts(database_url)
    with pytest.raises(SystemExit) as exited:
        main(argv)
    _check(database_url, before, exited.value.code, capsys.readouterr().err, expected)
