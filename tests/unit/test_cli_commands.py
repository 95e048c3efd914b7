"""The command table behind ``pa-tasks --help`` says what each command says of itself."""

from __future__ import annotations

import subprocess
import sys

import pytest

from personal_assistant.cli.main import COMMANDS, load


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_each_listed_help_is_the_commands_own(name: str) -> None:
    command, is_group = load(name)
    own = command.commands[name] if is_group else command
    assert COMMANDS[name].help == own.get_short_help_str(limit=1000)


def test_help_loads_no_command_module() -> None:
    script = (
        "import sys\n"
        "from personal_assistant.cli.main import main\n"
        "try:\n"
        "    main(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "loaded = [m for m in sys.modules if m.startswith('personal_assistant.')]\n"
        "print(','.join(sorted(loaded)))\n"
        "print('sqlalchemy' in sys.modules, 'procrastinate' in sys.modules, 'rich' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert out[-2] == "personal_assistant.cli,personal_assistant.cli.main"
    assert out[-1] == "False False False"
