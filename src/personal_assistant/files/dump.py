"""Read a pg_dump plain-format data dump as data, never as a script.

A restore does not hand ``dump.sql`` to psql: it would run whatever the file says, a
``\\! command`` or any SQL. Instead this reader recognises exactly what ``pg_dump
--data-only`` writes and turns it into data:

- ``COPY schema.table (columns) FROM stdin;`` blocks, for tables the manifest lists, in
  its schema and with its columns, each at most once: their rows are yielded;
- ``SELECT pg_catalog.setval('schema.sequence', N, true|false);``: yielded as values;
- the session preamble (``SET`` of the settings pg_dump writes, the empty
  ``search_path``), comments, blank lines and pg_dump's ``\\restrict``/``\\unrestrict``
  markers: recognised and skipped; nothing in them is executed.

Anything else is refused (``DumpRefused``) with its line number.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from personal_assistant.files.manifest import Manifest

# A SQL identifier as pg_dump writes it: bare lower case, or double-quoted with "" inside.
_IDENT = r'(?:"(?:[^"]|"")+"|[a-z_][a-z0-9_$]*)'
_COPY = re.compile(rf"^COPY ({_IDENT})\.({_IDENT}) \(({_IDENT}(?:, {_IDENT})*)\) FROM stdin;$")
_SETVAL = re.compile(
    r"^SELECT pg_catalog\.setval\('((?:[^']|'')+)', (-?\d{1,20}), (true|false)\);$"
)
_QUALIFIED = re.compile(rf"^({_IDENT})\.({_IDENT})$")
_SET = re.compile(r"^SET ([a-z_]+) = ('[A-Za-z0-9_]*'|[A-Za-z0-9_]+);$")
_MARKER = re.compile(r"^\\(?:un)?restrict [A-Za-z0-9]{1,128}$")
SEARCH_PATH = "SELECT pg_catalog.set_config('search_path', '', false);"
# The session settings pg_dump writes before the data; none of them is applied.
PREAMBLE_SETTINGS = frozenset(
    {
        "statement_timeout",
        "lock_timeout",
        "idle_in_transaction_session_timeout",
        "transaction_timeout",
        "client_encoding",
        "standard_conforming_strings",
        "check_function_bodies",
        "xmloption",
        "client_min_messages",
        "row_security",
        "default_tablespace",
        "default_table_access_method",
        "default_with_oids",
    }
)
MAX_QUOTED = 80


class DumpRefused(ValueError):
    """The dump holds something other than the backup's data."""


@dataclass(frozen=True)
class CopyStart:
    table: str


@dataclass(frozen=True)
class CopyEnd:
    table: str
    rows: int


@dataclass(frozen=True)
class SetValue:
    sequence: str
    value: int
    is_called: bool


# A data row is yielded as its line (without the newline), in COPY text format.
DumpItem = CopyStart | CopyEnd | SetValue | str


def unquote(identifier: str) -> str:
    if identifier.startswith('"'):
        return identifier[1:-1].replace('""', '"')
    return identifier


def read_dump(lines: Iterable[str], manifest: Manifest) -> Iterator[DumpItem]:
    """The data of ``lines`` (without newlines); ``DumpRefused`` on anything else."""
    seen: set[str] = set()
    current: str | None = None
    rows = 0
    number = 0
    for number, line in enumerate(lines, start=1):
        if current is not None:
            if line == "\\.":
                yield CopyEnd(current, rows)
                current = None
            else:
                rows += 1
                yield line
            continue
        item = _statement(line, number, manifest, seen)
        if isinstance(item, CopyStart):
            current, rows = item.table, 0
            seen.add(item.table)
        if item is not None:
            yield item
    if current is not None:
        raise DumpRefused(f"the data of table {current} is cut short at line {number}")


def _statement(line: str, number: int, manifest: Manifest, seen: set[str]) -> DumpItem | None:
    if not line or line.startswith("--") or line == SEARCH_PATH or _MARKER.match(line):
        return None
    setting = _SET.match(line)
    if setting and setting.group(1) in PREAMBLE_SETTINGS:
        if setting.group(1) == "client_encoding" and setting.group(2).upper() != "'UTF8'":
            raise _refuse(number, line, "only UTF8 dumps are read")
        return None
    copy = _COPY.match(line)
    if copy:
        return _copy_start(copy, number, line, manifest, seen)
    setval = _SETVAL.match(line)
    if setval:
        name = _QUALIFIED.match(setval.group(1).replace("''", "'"))
        if name is None or unquote(name.group(1)) != manifest.schema_name:
            raise _refuse(number, line, "a sequence outside the backup's schema")
        return SetValue(unquote(name.group(2)), int(setval.group(2)), setval.group(3) == "true")
    raise _refuse(number, line, "not data of the backup's tables")


def _copy_start(
    copy: re.Match[str], number: int, line: str, manifest: Manifest, seen: set[str]
) -> CopyStart:
    schema, table = unquote(copy.group(1)), unquote(copy.group(2))
    entry = manifest.table(table)
    if schema != manifest.schema_name or entry is None:
        raise _refuse(number, line, "a table the manifest does not list")
    if table in seen:
        raise _refuse(number, line, "a second copy of a table's data")
    columns = [unquote(column) for column in re.findall(_IDENT, copy.group(3))]
    if columns != entry.columns:
        raise _refuse(number, line, "columns other than the manifest's")
    return CopyStart(table)


def _refuse(number: int, line: str, why: str) -> DumpRefused:
    shown = line if len(line) <= MAX_QUOTED else line[:MAX_QUOTED] + "…"
    return DumpRefused(f"dump.sql line {number} is {why}: {shown!r}")
