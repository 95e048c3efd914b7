"""Rich tables for people, JSON for scripts."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from rich.table import Table
from rich.text import Text

from personal_assistant.cli.runtime import console
from personal_assistant.cli.terminal import data


def as_json_text(value: Any) -> str:
    """A value as compact JSON on one line, as the user would type it back."""
    import json

    return json.dumps(value, default=str, ensure_ascii=False)


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
    """The URL with every password replaced by ``***``, for printing: the one in the
    user info and any ``password``-like query parameter (libpq reads ``password`` and
    ``sslpassword`` there too). The rest is kept as written."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    masked = url
    userinfo, at, _ = parts.netloc.rpartition("@")
    if at and ":" in userinfo:
        user = userinfo.split(":", 1)[0]
        masked = masked.replace(
            f"//{parts.netloc}", f"//{user}:***@{parts.netloc.rpartition('@')[2]}", 1
        )
    if parts.query:
        query = "&".join(_masked_pair(pair) for pair in parts.query.split("&"))
        masked = masked.replace(f"?{parts.query}", f"?{query}", 1)
    return masked


def _masked_pair(pair: str) -> str:
    key, equals, _ = pair.partition("=")
    return f"{key}=***" if equals and "password" in key.lower() else pair
