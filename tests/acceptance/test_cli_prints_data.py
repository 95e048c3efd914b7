"""What the CLI prints from data (arguments, rows, remote text) is shown as it is.

Rich markup, emoji codes and terminal control sequences in data are printed literally:
they neither break the command nor change what the terminal shows.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from personal_assistant.cli.main import main
from tests.support.calendar_samples import calendar, vevent
from tests.support.refusal import assert_refused_in_process

HOSTILE = {
    "closing tag": "[/]",
    "bad closing tag": "[/x] after",
    "link": "[link=https://evil.example]Bank login[/link]",
    "style": "[bold red]URGENT[/]",
    "emoji": ":warning: code",
    "osc8": "\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\",
    "clear screen": "\x1b[2Jgone",
    "bidi": "invoice\u202egnp.exe",
}


@pytest.mark.parametrize("value", ["[/x]", "[bold]", "a\nb", "\x1b[31m"])
def test_unknown_queue_with_markup_is_one_line(
    database_url: str, capsys: pytest.CaptureFixture[str], value: str
) -> None:
    assert_refused_in_process(
        database_url, ["jobs", "list", "--queue", value], "unknown queue", capsys
    )


def test_hostile_event_titles_are_printed_literally(
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    feed = tmp_path / "cal.ics"
    events = [
        vevent(f"{n}@t", text, 10 + i, 10.5 + i)
        for i, (n, text) in enumerate(
            (name.replace(" ", "-"), text) for name, text in HOSTILE.items()
        )
    ]
    feed.write_bytes(calendar(*events))
    monkeypatch.setenv("PA_CALENDAR_FEEDS", str(feed))
    main(["sync", "calendar", "--now"])
    capsys.readouterr()

    main(["events", "list", "--to", "2099-01-01"])
    out = capsys.readouterr().out

    assert "\x1b" not in out and "\u202e" not in out
    for literal in ("[/]", "[/x] after", "[link=https://evil.example]Bank login[/link]"):
        assert literal in out, out
    assert "[bold red]URGENT[/]" in out
    assert ":warning: code" in out
    assert "\\x1b[2Jgone" in out  # the escape is shown, not obeyed
    assert "invoice\\u202egnp.exe" in out


def test_job_show_prints_args_with_markup_literally(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    main(
        [
            "defer",
            "ping",
            "--args",
            '{"message": "[/] [link=https://x.example]y[/link] \\u001b[2J"}',
        ]
    )
    job_id = capsys.readouterr().out.strip()
    main(["jobs", "show", job_id])
    out = capsys.readouterr().out
    assert "[/] [link=https://x.example]y[/link]" in out
    assert "\x1b" not in out
