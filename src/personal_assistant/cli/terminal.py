"""Printing data as data: no markup, no emoji codes, no terminal control sequences.

Job arguments, event titles, task output and error messages come from outside (feeds,
language models, commands). Parsed as rich markup they crash the command (``[/x]``) or
spoof what the terminal shows (``[link=...]``); written raw, their escape sequences drive
the terminal itself (OSC 8 links, clearing the screen, bidi overrides hiding a name's end).
Every console of the CLI is a ``DataConsole``: the text it is given is shown literally,
with invisible and control characters spelled out (``\\x1b``). Styles come only from
``Text`` objects the CLI builds itself (see ``styled``).
"""

from __future__ import annotations

import sys
from typing import Any

from rich.console import Console
from rich.text import Text

from personal_assistant.logs import visible

__all__ = ["DataConsole", "data", "data_console", "styled", "visible"]


def data(value: Any) -> Text:
    """A value to print as it is: ``-`` for None, else its visible text, unstyled."""
    return Text("-" if value is None else visible(str(value)))


def styled(*parts: str | tuple[str, str]) -> Text:
    """A line of the CLI's own making: plain parts are data, ``(text, style)`` parts are
    styled, e.g. ``styled(("Job 3", "bold"), "  ", task_name)``."""
    line = Text()
    for part in parts:
        if isinstance(part, tuple):
            line.append(visible(part[0]), style=part[1])
        else:
            line.append(visible(part))
    return line


class DataConsole(Console):
    """A console on which every string is data: never markup, never emoji codes."""

    def __init__(self, **options: Any) -> None:
        super().__init__(markup=False, emoji=False, highlight=False, **options)

    def render_str(self, text: str, **options: Any) -> Text:
        options.update(markup=False, emoji=False, highlight=False)
        return super().render_str(visible(text), **options)


def data_console(*, stderr: bool = False) -> DataConsole:
    # Piped output is read by scripts and people alike: do not wrap it at 80 columns.
    stream = sys.stderr if stderr else sys.stdout
    return DataConsole(stderr=stderr, width=None if stream.isatty() else 200)
