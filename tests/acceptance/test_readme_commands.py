"""Every `pa-tasks` command the README shows works as shown, so the README stays true.

The commands of its `sh` code blocks run in order against one database, as a reader would
type them: optional groups (`[--json]`) included, `a|b|c` of a subcommand run one after
the other, `a|b` of a value take its first choice, and the few placeholders (`ID`,
`NAME`, `N`) get real values. Every row of the CLI table names a command whose `--help`
lists each option the row shows.
"""

from __future__ import annotations

import io
import json
import re
import shlex
import sys
from collections.abc import Callable, Iterator
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from tests.support.calendar_samples import VERSION_1
from tests.support.mcp import ROOT
from tests.support.notion_server import DATABASE, TOKEN, NotionServer
from tests.support.reset import reset_process_caches

README = Path(__file__).resolve().parents[2] / "README.md"
# Long-running commands: the tests of the worker, `up` and metrics run them.
LONG_RUNNING = ("up", "worker", "metrics")
_OPTIONAL = re.compile(r"\[([^\[\]]*)\]")
_PLACEHOLDER = re.compile(r"^[A-Z][A-Z0-9_]*$")


def readme_commands() -> list[str]:
    """Each `pa-tasks ...` command of the README's sh blocks, continuation lines joined."""
    commands: list[str] = []
    for block in re.findall(r"```sh\n(.*?)```", README.read_text(), flags=re.S):
        for line in block.replace("\\\n", " ").splitlines():
            for found in re.findall(r"pa-tasks (.*?)(?=\s{2,}pa-tasks |\s+#|\)\"|$)", line):
                commands.append(found.strip())
    return commands


def expand(command: str) -> list[list[str]]:
    """The argv lists one README line stands for."""
    text = command
    while _OPTIONAL.search(text):  # nested groups: innermost first
        text = _OPTIONAL.sub(lambda m: m[1].split(" | ")[0], text)
    words = shlex.split(text)
    if words[0] in LONG_RUNNING or "--watch" in words:
        return []
    runs: list[list[str]] = [[]]
    for index, word in enumerate(words):
        if "|" in word and not word.startswith(("{", "'")) and index <= 1:
            runs = [[*run, choice] for choice in word.split("|") for run in runs]
        else:
            value = word.split("|")[0] if "|" in word and not word.startswith("{") else word
            runs = [[*run, value] for run in runs]
    return runs


@pytest.fixture
def readme_setup(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    feed = tmp_path / "cal.ics"
    feed.write_bytes(VERSION_1)
    monkeypatch.setenv("PA_CALENDAR_FEEDS", str(feed))
    monkeypatch.setenv("PA_BACKUP_DIR", str(tmp_path / "backups"))
    # The README's MCP servers ("time", "docs"): the SDK-built test server over stdio.
    server = {
        "command": sys.executable,
        "args": ["-m", "tests.support.mcp_server"],
        "cwd": str(ROOT),
        "env": {"MCP_PROBE_LOG": str(tmp_path / "probe.jsonl")},
    }
    config = tmp_path / "mcp.json"
    config.write_text(json.dumps({"mcpServers": {"time": server, "docs": server}}))
    monkeypatch.setenv("PA_MCP_CONFIG", str(config))
    with NotionServer() as notion:
        monkeypatch.setenv("PA_NOTION_TOKEN", TOKEN)
        monkeypatch.setenv("PA_NOTION_DATABASE_IDS", DATABASE)
        monkeypatch.setenv("PA_NOTION_BASE_URL", notion.url)
        reset_process_caches()
        yield


def run_here(*argv: str) -> tuple[int, str, str]:
    """``pa-tasks ARGV`` through the real entry point, in this process (no start-up cost)."""
    from personal_assistant.cli.main import main

    out, err = io.StringIO(), io.StringIO()
    code: object = 0
    with redirect_stdout(out), redirect_stderr(err):
        try:
            main(list(argv))
        except SystemExit as exited:
            code = exited.code or 0
    return (code if isinstance(code, int) else 1), out.getvalue(), err.getvalue()


def _ai_task_id() -> str:
    listed = json.loads(run_here("ai", "list", "--json")[1])
    live = [task for task in listed if task["status"] in ("active", "paused")] or listed
    return str(live[-1]["id"])


def _backup_name() -> str:
    return str(json.loads(run_here("backup", "list", "--json")[1])[0]["name"])


PLACEHOLDERS: dict[str, Callable[[], str]] = {"N": lambda: "3"}
ID_OF = {"ai": _ai_task_id}
NAME_OF = {"backup": _backup_name}


def _concrete(argv: list[str]) -> list[str]:
    filled = []
    for word in argv:
        if word == "ID":
            word = ID_OF[argv[0]]()
        elif word == "NAME" and argv[0] in NAME_OF:
            word = NAME_OF[argv[0]]()
        elif _PLACEHOLDER.match(word) and word in PLACEHOLDERS:
            word = PLACEHOLDERS[word]()
        elif _PLACEHOLDER.match(word) and len(word) > 1 and not word.startswith("PA_"):
            raise AssertionError(f"README placeholder {word!r} in {argv}: give it a value here")
        filled.append(word)
    return filled


def test_every_readme_command_runs_as_shown(readme_setup: None) -> None:
    commands = readme_commands()
    assert len(commands) >= 20, commands  # the parser still finds the README's commands
    ran = []
    for command in commands:
        for argv in expand(command):
            concrete = _concrete(argv)
            code, _, err = run_here(*concrete)
            # `health` exits 1 without a live worker, as documented.
            allowed = (0, 1) if concrete[0] == "health" else (0,)
            assert code in allowed, f"pa-tasks {shlex.join(concrete)}: {err}"
            ran.append(concrete[:2])
    assert ["ai", "delete"] in ran and ["breakers", "reset"] in ran


def cli_table_rows() -> list[str]:
    rows = re.findall(r"^\| `pa-tasks ([^`]+)`", README.read_text(), flags=re.M)
    return [row.replace("\\|", "|") for row in rows]


@pytest.mark.parametrize("row", cli_table_rows())
def test_every_cli_table_row_names_real_commands_and_options(row: str) -> None:
    from personal_assistant.cli.main import COMMANDS, load

    words = row.split()
    groups = [w for w in words[1:] if re.fullmatch(r"[a-z][a-z-]*", w)]
    assert words[0] in COMMANDS, row
    holder, is_group = load(words[0])
    command = holder.commands[words[0]] if is_group else holder
    subcommands = getattr(command, "commands", {})
    options = {o for w in words for o in re.findall(r"--[a-z][a-z-]*", w)}
    targets = [subcommands[g] for g in groups if g in subcommands] or [command]
    known = {opt for target in {command, *targets} for p in target.params for opt in p.opts}
    assert options <= known | {"--help"}, f"{row}: {sorted(options - known)}"
