"""Rich tables for people, JSON for scripts."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from rich.table import Table

from personal_assistant.cli.runtime import console


def as_json_text(value: Any) -> str:
    """A value as compact JSON on one line, as the user would type it back."""
    import json

    return json.dumps(value, default=str, ensure_ascii=False)


def when(value: datetime | None) -> str:
    if value is None:
        return "-"
    return value.astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")


def table(title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    grid = Table(title=title, title_justify="left", header_style="bold")
    for column in columns:
        grid.add_column(column)
    count = 0
    for row in rows:
        grid.add_row(*("-" if cell is None else str(cell) for cell in row))
        count += 1
    if count:
        console.print(grid)
    else:
        console.print(f"{title}: none")


def mask_password(url: str) -> str:
    """The URL with any password replaced by ``***``, for printing."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
        return urlunsplit(parts._replace(netloc=netloc))
    return url
