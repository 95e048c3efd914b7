"""What every command shares: running async services, error lines, output modes."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

import psycopg
import sqlalchemy.exc
from rich.console import Console
from sqlalchemy.ext.asyncio import AsyncSession

from personal_assistant.db.session import dispose_engine, session_scope
from personal_assistant.errors import AssistantError, DatabaseUnavailable

T = TypeVar("T")

# Piped output is read by scripts and people alike: do not wrap it at 80 columns.
console = Console(width=None if sys.stdout.isatty() else 200)
err_console = Console(stderr=True, width=None if sys.stderr.isatty() else 200)


_argv: list[str] = []


def set_argv(argv: list[str]) -> None:
    """Remember the command line: the order of repeated options is lost once parsed."""
    _argv[:] = argv


def argv() -> list[str]:
    return list(_argv)


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run one async service call with a fresh engine, disposed before returning."""

    async def wrapped() -> T:
        try:
            return await coro
        finally:
            await dispose_engine()

    return asyncio.run(wrapped())


def in_session(action: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run ``action`` in one transaction: committed if it returns, rolled back if it raises."""

    async def transaction() -> T:
        async with session_scope() as session:
            return await action(session)

    return run(transaction())


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2, default=str) + "\n")


def fail(message: str, code: int = 2) -> None:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise SystemExit(code)


def first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def translate(exc: BaseException) -> AssistantError | None:
    """Map a known failure to the product's error, or None to let it surface."""
    if isinstance(exc, AssistantError):
        return exc
    if isinstance(exc, psycopg.OperationalError | sqlalchemy.exc.OperationalError):
        return DatabaseUnavailable(f"cannot reach the database: {first_line(exc)}")
    undefined = getattr(exc, "orig", exc)
    if isinstance(undefined, psycopg.errors.UndefinedTable | psycopg.errors.UndefinedFunction):
        return DatabaseUnavailable(
            f"the database schema is missing or old ({first_line(exc)}); run `pa-tasks db upgrade`"
        )
    if isinstance(exc, sqlalchemy.exc.InterfaceError):
        return DatabaseUnavailable(f"cannot reach the database: {first_line(exc)}")
    return None
