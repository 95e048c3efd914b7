"""Rich tables for people, JSON for scripts."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from rich.table import Table
from rich.text import Text

from personal_assistant.cli.runtime import console
from personal_assistant.cli.terminal import data


def when(value: datetime | None) -> str:
    if value is None:
        return "-"
    return value.astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")


def table(title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    grid = Table(title=data(title), title_justify="left", header_style="bold")
    for column in columns:
        grid.add_column(data(column))
    count = 0
    for row in rows:
        # A cell the caller styled (a Text) keeps its style; anything else is data.
        grid.add_row(*(cell if isinstance(cell, Text) else data(cell) for cell in row))
        count += 1
    if count:
        console.print(grid)
    else:
        console.print(data(f"{title}: none"))


def mask_password(url: str) -> str:
    """The URL with any password replaced by ``***``, for printing."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
        return urlunsplit(parts._replace(netloc=netloc))
    return url
