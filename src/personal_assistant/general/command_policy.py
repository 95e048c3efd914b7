"""Which argv ``general:run_command`` may run, and with which environment.

The argv comes from a job's arguments: whoever can defer a job chooses it. The operator
decides what it may be:

- ``PA_COMMAND_ALLOWLIST`` entries are argv prefixes. ``git`` allows ``git`` with any
  arguments; ``git status`` allows only argvs that start with ``git``, ``status``. The
  first word is a bare name (looked up on ``PATH``) or an absolute path, matched exactly.
- Shells, interpreters and programs that run other programs (``sh``, ``python3``,
  ``env``, ``xargs``, ...) run arbitrary code by design: they are refused, even when
  listed, unless ``PA_COMMAND_ALLOW_INTERPRETERS`` is true. A listed name that is a
  symlink to one (``/usr/bin/python3`` -> ``python3.11``) is found through its target.
- Arguments past the allowed prefix that make a common program run code or write
  arbitrary files (``find -exec``, ``tar --to-command``, ``git -c``, ``rsync -e``) are
  refused too (same opt-in). This list cannot be complete: pin the arguments of any
  program whose options can run code.
- The child gets ``PATH``, ``HOME``, ``LANG`` and ``TZ`` from the worker, plus the
  variables named in ``PA_COMMAND_ENV_ALLOWLIST``, and nothing else: the worker's
  database URL and credentials never reach it.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from personal_assistant.settings import argv_prefix as parse_entry

if TYPE_CHECKING:
    from personal_assistant.settings import Settings

BASE_ENVIRONMENT = ("PATH", "HOME", "LANG", "TZ")
DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin"

# Programs whose job is to run code or other programs given in their arguments.
_RUNS_CODE = re.compile(
    r"""^(?:
        sh | bash | dash | zsh | ksh | mksh | oksh | pdksh | csh | tcsh | ash | fish | yash
      | rbash | busybox | toybox
      | python[0-9.]*m? | pypy[0-9.]* | perl[0-9.]* | ruby[0-9.]* | irb | jruby
      | node(?:js)?[0-9.]* | deno | bun | php[0-9.]* | lua(?:jit)?[0-9.]* | tclsh[0-9.]*
      | wish[0-9.]* | expect | r | rscript | julia | osascript | pwsh | powershell
      | groovy | jshell | scala | guile[0-9.]* | racket | sbcl | clisp | ghci | runghc
      | [gmn]?awk | sed | gsed | ed | ex | vim? | nvim | emacs | less | more | man
      | env | xargs | parallel | sudo | su | doas | runuser | pkexec | nohup | nice
      | ionice | timeout | setsid | stdbuf | chroot | unshare | nsenter | flock | watch
      | script | strace | ltrace | gdb | time | make | gmake | ssh | systemd-run | at
      | batch | crontab | docker | podman | kubectl | eval | exec | command | builtin
    )$""",
    re.VERBOSE | re.IGNORECASE,
)

# Options of common programs that run a command or write a file named in their value.
# Long options match by prefix too: GNU getopt accepts any unambiguous abbreviation.
_CODE_OPTIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "find": (
        ("-exec", "-execdir", "-ok", "-okdir", "-fprint", "-fprint0", "-fprintf", "-fls"),
        "",
    ),
    "tar": (
        (
            "--to-command",
            "--checkpoint-action",
            "--use-compress-program",
            "--rsh-command",
            "--rmt-command",
            "--info-script",
            "--new-volume-script",
        ),
        "IF",
    ),
    "git": (
        (
            "--config-env",
            "--exec-path",
            "--upload-pack",
            "--receive-pack",
            "--git-dir",
            "--work-tree",
            "--template",
            "--ext-diff",
            "--textconv",
        ),
        "cCu",
    ),
    "rsync": (("--rsh", "--rsync-path", "--log-file", "--write-batch"), "e"),
    "zip": (("--unzip-command",), "TT"),
    "scp": (("-S", "-o", "-F"), "SoF"),
    "curl": (("--config", "--output", "--output-dir", "--upload-file"), "KoOT"),
    "wget": (("--use-askpass", "--execute", "--output-document", "--config"), "eO"),
}


@dataclass(frozen=True)
class CommandPolicy:
    allowlist: tuple[tuple[str, ...], ...] = ()
    allow_interpreters: bool = False
    env_allowlist: tuple[str, ...] = ()

    @classmethod
    def from_settings(cls, settings: Settings) -> CommandPolicy:
        return cls(
            allowlist=tuple(parse_entry(entry) for entry in settings.command_allowlist),
            allow_interpreters=settings.command_allow_interpreters,
            env_allowlist=tuple(settings.command_env_allowlist),
        )

    def environment(self, source: Mapping[str, str] | None = None) -> dict[str, str]:
        """The child's whole environment: the base names and the allow-listed ones."""
        source = os.environ if source is None else source
        env = {
            name: source[name]
            for name in (*BASE_ENVIRONMENT, *self.env_allowlist)
            if name in source
        }
        env.setdefault("PATH", DEFAULT_PATH)
        return env


def refusal(argv: list[str], policy: CommandPolicy) -> str | None:
    """Why ``argv`` may not run under ``policy``, or None if it may."""
    if not argv or not argv[0]:
        return "argv is empty: give the program and its arguments as a list"
    if any("\x00" in arg for arg in argv):
        return "argv contains a NUL character"
    matching = [p for p in policy.allowlist if tuple(argv[: len(p)]) == p]
    if not matching:
        return _not_listed(argv, policy)
    if policy.allow_interpreters:
        return None
    runner = _code_runner(argv[0], policy)
    if runner:
        return (
            f"program {argv[0]!r} is {runner}, which runs any code it is given; "
            "set PA_COMMAND_ALLOW_INTERPRETERS=true to allow it"
        )
    pinned = max(len(p) for p in matching)
    option = _code_option(argv, pinned)
    if option:
        return (
            f"argument {option!r} would make {argv[0]} run a command or write a file of its "
            "choosing; pin it in a PA_COMMAND_ALLOWLIST entry (e.g. "
            f"{shlex.join(argv[: pinned + 1])!r}) or set PA_COMMAND_ALLOW_INTERPRETERS=true"
        )
    return None


def _not_listed(argv: list[str], policy: CommandPolicy) -> str:
    same_program = [shlex.join(p) for p in policy.allowlist if p[0] == argv[0]]
    if same_program:
        return f"argv {shlex.join(argv)[:200]!r} does not start with an allowed prefix: {', '.join(same_program)}"
    if policy.allowlist:
        allowed = ", ".join(shlex.join(p) for p in policy.allowlist)
    else:
        allowed = "nothing (it is empty)"
    return f"program {argv[0]!r} is not on PA_COMMAND_ALLOWLIST, which allows {allowed}"


def _names(program: str, policy: CommandPolicy) -> list[str]:
    """The program's name, and its real file's name once symlinks are followed."""
    names = [os.path.basename(program)]
    found = shutil.which(program, path=policy.environment().get("PATH"))
    if found:
        names.append(os.path.basename(os.path.realpath(found)))
    return names


def _code_runner(program: str, policy: CommandPolicy) -> str | None:
    for name in _names(program, policy):
        if _RUNS_CODE.match(name):
            return "a shell, an interpreter or a program that starts others" + (
                f" ({name})" if name != os.path.basename(program) else ""
            )
    return None


def _code_option(argv: list[str], pinned: int) -> str | None:
    program = os.path.basename(argv[0]).lower()
    if program not in _CODE_OPTIONS:
        return None
    long_options, short_letters = _CODE_OPTIONS[program]
    for index, arg in enumerate(argv[pinned:], pinned):
        name = arg.split("=", 1)[0]
        if program == "tar" and index == 1 and not arg.startswith("-"):
            if any(letter in arg for letter in short_letters):  # old style: tar xIf ...
                return arg
        elif arg.startswith("--") and len(name) > 3:
            if any(option.startswith(name) for option in long_options):
                return arg
        elif arg.startswith("-") and len(arg) > 1:
            if name in long_options:  # find's single-dash long options
                return arg
            if any(letter in arg[1:] for letter in short_letters):
                return arg
        elif program == "git" and "ext::" in arg:  # git's transport that runs a command
            return arg
    return None
