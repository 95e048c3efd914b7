"""Arbitrary text in every string option of every command: the CLI never crashes.

For each command with text parameters, hypothesis fills them with markup, control and
bidi characters, lone surrogates (what invalid UTF-8 in argv becomes), huge strings and
option look-alikes, mixed with valid values so that the text reaches deep code paths.
A run exits 0 or 2; on 2 it prints at most one line, no traceback, and the database is
left exactly as it was. Backup files with arbitrary bytes are read the same way.

Commands run in this process through the CLI's entry point, with a strict UTF-8 stdout
and stderr like a real terminal's. Commands that serve until stopped (``worker``,
``up``, ``metrics``) are left out.
"""

from __future__ import annotations

import contextlib
import io
import types
import typing
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from personal_assistant.cli.main import COMMANDS as TOP_LEVEL
from personal_assistant.cli.main import load, main
from tests.support.db import table_fingerprint

SERVING = {("worker",), ("up",), ("metrics",), ("web",), ("mcp", "serve")}

# Values that let the other parameters through to where the text under test is used.
VALID = {
    "task": "ping",
    "then": "ping",
    "args": '{"message": "hi"}',
    "then_args": "{}",
    "schedule": "every day at 9",
    "tz": "Europe/Paris",
    "title": "Standup",
    "instructions": "Summarise my day",
    "channel": "log",
    "to": "ada@example.com",
    "subject": "Hello",
    "body": "Hi",
    "queue": "email_tasks",
    "window": "1h",
    "start": "2026-01-05",
    "end": "2026-01-12",
    "from_": "2026-01-05T09:00Z",
    "misfire": "skip",
    "name": "pa-backup-20260105T010000Z",
    "revision": "head",
}
HOSTILE = [
    "",
    " ",
    "-",
    "--json",
    "[/]",
    "[/x]",
    "[link=https://evil.example]login[/link]",
    "[bold red]x",
    ":warning:",
    "\x1b]8;;https://evil.example\x1b\\x\x1b]8;;\x1b\\",
    "\x1b[2J",
    "a\nb",
    "\r\n",
    "\x00",
    "\udcff\udcfe",  # bytes that are not UTF-8, as Python decodes argv
    "\u202etxt.exe",
    "0",
    "-1",
    "1e309",
    "null",
    "{}",
    "[]",
    '{"message": "[/]\\u0000"}',
    "every 1 second",
    "Europe/Nowhere",
    "../../etc/passwd",
    "%s%n'\";--",
]
any_text = st.text(st.characters(exclude_categories=()), max_size=40)
huge_text = st.integers(10_000, 300_000).map(lambda n: ("[/x]\x1b" * n)[:n])
text_values = st.one_of(st.sampled_from(HOSTILE), any_text, huge_text)


def _is_text(annotation: Any) -> bool:
    if annotation in (str, Path):
        return True
    if typing.get_origin(annotation) in (typing.Union, types.UnionType, list):
        return any(_is_text(arg) for arg in typing.get_args(annotation) if arg is not type(None))
    return False


def _commands() -> dict[tuple[str, ...], Any]:
    found: dict[tuple[str, ...], Any] = {}

    def walk(command: Any, path: tuple[str, ...]) -> None:
        if hasattr(command, "commands"):
            for name, sub in command.commands.items():
                walk(sub, (*path, name))
        elif path not in SERVING:
            found[path] = command

    for name in TOP_LEVEL:
        holder, is_group = load(name)
        walk(holder.commands[name] if is_group else holder, (name,))
    return found


COMMANDS = _commands()
WITH_TEXT = sorted(
    path
    for path, command in COMMANDS.items()
    if any(_is_text(p.type_descriptor.annotation) for p in command.params)
)


def run_in_process(argv: list[str]) -> tuple[int, str, str]:
    """``pa-tasks ARGV`` here, with strict UTF-8 streams; (status, stdout, stderr)."""
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="strict")
    err = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="strict")
    code: Any = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(argv)
        except SystemExit as exited:
            code = exited.code
    texts = []
    for stream in (out, err):
        stream.flush()
        texts.append(stream.buffer.getvalue().decode("utf-8"))  # type: ignore[attr-defined]
    return (code if isinstance(code, int) else 1), texts[0], texts[1]


def check_outcome(database_url: str, argv: list[str]) -> None:
    before = table_fingerprint(database_url)
    code, out, err = run_in_process(argv)
    shown = f"argv={argv!r}\nstdout={out[:2000]!r}\nstderr={err[:2000]!r}"
    # A damaged backup is a verdict (exit 1, like `sha256sum -c`), given in one line.
    verdict = argv[0] == "backup" and code == 1 and ("damaged" in err or "verification" in err)
    assert code in (0, 2) or verdict, shown
    assert "Traceback" not in out + err, shown
    if code != 0:
        assert len(err.strip().splitlines()) <= 1, shown
        assert table_fingerprint(database_url) == before, shown


def _argv(path: tuple[str, ...], command: Any, draw: Any) -> list[str]:
    options: list[str] = []
    arguments: list[str] = []
    for param in command.params:
        annotation = param.type_descriptor.annotation
        text = _is_text(annotation)
        if not text and not param.required:
            continue
        value = draw(st.one_of(st.just(VALID.get(param.name, "x")), text_values)) if text else "1"
        if param.param_type_name == "argument":
            arguments.append(value)
        elif text or param.required:
            if not param.required and draw(st.booleans()):
                continue
            options.append(f"{param.opts[0]}={value}")
    # Options as --opt=value and arguments after "--": a value that looks like an
    # option is still a value.
    return [*path, *options, "--", *arguments]


@pytest.mark.parametrize("path", WITH_TEXT, ids=" ".join)
@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_any_text_in_any_option(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, path: Any, data: Any
) -> None:
    monkeypatch.setenv("PA_BACKUP_DIR", str(tmp_path / "backups"))
    argv = _argv(path, COMMANDS[path], data.draw)
    check_outcome(database_url, argv)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    archive=st.binary(max_size=4096),
    checksum=st.one_of(st.none(), st.binary(max_size=200)),
    command=st.sampled_from(["list", "verify", "restore"]),
)
def test_any_bytes_in_a_backup_file(
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    archive: bytes,
    checksum: bytes | None,
    command: str,
) -> None:
    directory = tmp_path / "backups"
    directory.mkdir(exist_ok=True)
    monkeypatch.setenv("PA_BACKUP_DIR", str(directory))
    name = "pa-backup-20260105T010000Z"
    (directory / f"{name}.tar.gz").write_bytes(archive)
    sidecar = directory / f"{name}.tar.gz.sha256"
    sidecar.unlink(missing_ok=True)
    if checksum is not None:
        sidecar.write_bytes(checksum)
    check_outcome(database_url, ["backup", command, *([] if command == "list" else [name])])


def test_every_command_with_text_is_covered() -> None:
    # A new command with text parameters joins the property test by itself.
    assert ("jobs", "list") in WITH_TEXT and ("ai", "create") in WITH_TEXT
    assert len(WITH_TEXT) >= 20, WITH_TEXT
