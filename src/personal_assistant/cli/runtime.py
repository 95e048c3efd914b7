"""What every command shares: running async services, error lines, output modes."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

import psycopg
import sqlalchemy.exc
from sqlalchemy.ext.asyncio import AsyncSession

from personal_assistant.cli.terminal import data_console, styled, visible
from personal_assistant.db.session import dispose_engine, session_scope
from personal_assistant.errors import AssistantError, BadInput, DatabaseUnavailable

T = TypeVar("T")

# Everything printed through these is data: no markup, no control sequences.
console = data_console()
err_console = data_console(stderr=True)


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
    """One line on stderr, whatever the message holds, and exit with ``code``."""
    line = visible(message.strip(), one_line=True) or "unknown error"
    err_console.print(styled(("error:", "bold red"), " ", line), soft_wrap=True)
    raise SystemExit(code)


def unusable_argument(args: list[str]) -> str | None:
    """Why an argument cannot be text for the database, or None.

    Bytes that are not UTF-8 reach Python as lone surrogates, which nothing can encode;
    PostgreSQL text cannot hold NUL.
    """
    for position, arg in enumerate(args, 1):
        if "\x00" in arg:
            return f"argument {position} contains a NUL character"
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            return f"argument {position} is not valid UTF-8 text"
    return None


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
    if isinstance(undefined, psycopg.DataError):
        # A value the database refused (NUL in text, a number out of range): bad input,
        # and the transaction that carried it was rolled back.
        return BadInput(f"the database refused a value: {first_line(exc)}")
    if isinstance(exc, sqlalchemy.exc.InterfaceError):
        return DatabaseUnavailable(f"cannot reach the database: {first_line(exc)}")
    return None
