"""run_command: argv prefixes, no shells or interpreters by default, a minimal
environment, and nothing left running after the command."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from personal_assistant.general.command_policy import CommandPolicy, parse_entry, refusal
from personal_assistant.general.commands import CommandNotAllowed, CommandTimedOut, run_command


def policy(*entries: str, interpreters: bool = False, env: tuple[str, ...] = ()) -> CommandPolicy:
    return CommandPolicy(
        allowlist=tuple(parse_entry(e) for e in entries),
        allow_interpreters=interpreters,
        env_allowlist=env,
    )


def gone(pid: int) -> bool:
    """No such process, or only its zombie (an orphan waiting for a parent to reap it)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] == "Z"


def wait_gone(pid: int, timeout: float = 5) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if gone(pid):
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize(
    ("argv", "entries", "refused"),
    [
        (["git", "status"], ["git status"], None),
        (["git", "status", "--short"], ["git status"], None),
        (["git", "log"], ["git status"], "does not start with an allowed prefix: git status"),
        (["git", "-c", "alias.x=!sh", "x"], ["git"], "argument '-c'"),
        (["git", "-C", "/tmp/evil", "status"], ["git"], "argument '-C'"),
        (["git", "-C", "/srv/repo", "status"], ["git -C /srv/repo"], None),
        (["git", "clone", "ext::sh -c id", "x"], ["git clone"], "ext::"),
        (["find", ".", "-exec", "sh", "{}", ";"], ["find"], "argument '-exec'"),
        (["find", ".", "-name", "*.tmp", "-delete"], ["find"], None),
        (["tar", "-xf", "a.tar", "--to-command=sh"], ["tar"], "--to-command=sh"),
        (["tar", "-xf", "a.tar", "--to-com=sh"], ["tar"], "--to-com=sh"),  # abbreviation
        (["tar", "xIf", "sh", "a.tar"], ["tar"], "argument 'xIf'"),
        (["rsync", "-e", "sh -c id", "a", "b"], ["rsync"], "argument '-e'"),
        (["python3", "-c", "print(1)"], ["python3"], "runs any code it is given"),
        (["sh", "-c", "id"], ["sh"], "runs any code it is given"),
        (["bash"], ["bash"], "runs any code"),
        (["env", "sh"], ["env"], "runs any code"),
        (["xargs", "sh"], ["xargs"], "runs any code"),
        (["perl", "-e", "1"], ["perl"], "runs any code"),
        (["node", "-e", "1"], ["node"], "runs any code"),
        (["rm", "-rf", "/"], ["git"], "program 'rm' is not on PA_COMMAND_ALLOWLIST"),
        ([], ["git"], "argv is empty"),
    ],
)
def test_argv_rules(argv: list[str], entries: list[str], refused: str | None) -> None:
    reason = refusal(argv, policy(*entries))
    if refused is None:
        assert reason is None
    else:
        assert reason is not None and refused in reason, reason


def test_interpreters_run_on_explicit_opt_in_only() -> None:
    argv = ["python3", "-c", "print(1)"]
    assert refusal(argv, policy("python3")) is not None
    assert refusal(argv, policy("python3", interpreters=True)) is None
    assert refusal(["find", ".", "-exec", "x"], policy("find", interpreters=True)) is None


def test_an_interpreter_is_found_through_its_symlink(tmp_path: Path) -> None:
    link = tmp_path / "harmless-looking"
    link.symlink_to(os.path.realpath(sys.executable))
    reason = refusal([str(link), "-c", "1"], policy(str(link)))
    assert reason is not None and "runs any code" in reason and "python" in reason


@pytest.mark.parametrize("entry", ["", "bin/git", "git 'unclosed"])
def test_bad_allowlist_entries_are_refused(entry: str) -> None:
    with pytest.raises(ValueError):
        parse_entry(entry)


async def test_the_child_sees_a_minimal_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    secrets = {
        "DATABASE_URL": "postgresql://u:dbsecret@h/db",
        "PA_SMTP_PASSWORD": "smtpsecret",
        "PA_LLM_API_KEY": "llmsecret",
        "PA_NOTION_TOKEN": "notionsecret",
        "PA_NOTIFY_WEBHOOK_SECRET": "hooksecret",
        "AWS_SECRET_ACCESS_KEY": "awssecret",
    }
    for name, value in {
        **secrets,
        "LANG": "C.UTF-8",
        "TZ": "Europe/Paris",
        "TOOL_MODE": "x",
    }.items():
        monkeypatch.setenv(name, value)
    result = await run_command(
        ["printenv"],
        timeout_seconds=10,
        policy=policy("printenv", env=("TOOL_MODE",)),
        output_cap=4096,
    )
    names = {line.split("=", 1)[0] for line in result["stdout"].splitlines()}
    assert names <= {"PATH", "HOME", "LANG", "TZ", "TOOL_MODE"}, names
    assert {"PATH", "LANG", "TZ", "TOOL_MODE"} <= names
    assert not any(value in result["stdout"] for value in secrets.values())


async def test_background_children_do_not_outlive_the_command(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    script = f"sleep 37 & echo $! > {pid_file}; echo hi"
    allow = policy("sh", interpreters=True)
    result = await run_command(
        ["sh", "-c", script], timeout_seconds=2, policy=allow, output_cap=100
    )
    assert result["stdout"] == "hi\n"
    assert wait_gone(int(pid_file.read_text())), "the background sleep is still running"


async def test_a_timeout_kills_the_whole_group(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    # The leader exits at once; its background child keeps the output pipe open.
    script = f"(sleep 37; echo late) & echo $! > {pid_file}; exec sleep 38"
    allow = policy("sh", interpreters=True)
    started = time.monotonic()
    with pytest.raises(CommandTimedOut):
        await run_command(["sh", "-c", script], timeout_seconds=2, policy=allow, output_cap=100)
    assert time.monotonic() - started < 10
    assert wait_gone(int(pid_file.read_text()))


async def test_a_refused_argv_never_starts(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    with pytest.raises(CommandNotAllowed):
        await run_command(
            ["find", str(tmp_path), "-fprint", str(marker)],
            timeout_seconds=5,
            policy=policy("find"),
            output_cap=100,
        )
    assert not marker.exists()
