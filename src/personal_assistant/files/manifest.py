"""The manifest of a backup archive, read as untrusted input.

Every field a restore relies on is typed and checked here, so a manifest that is not
an object, lacks a field or gives one the wrong type is a damaged backup, never an
``AttributeError`` later on.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

FORMAT_VERSION = 1
# PostgreSQL truncates identifiers to 63 bytes; a longer one cannot name a real table.
_Identifier = Field(min_length=1, max_length=63)


class ManifestError(ValueError):
    """manifest.json is not a manifest this version can read."""


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)


class TableEntry(_Strict):
    name: str = _Identifier
    rows: int = Field(ge=0)
    columns: list[str] = Field(min_length=1)

    @field_validator("columns")
    @classmethod
    def _column_names(cls, value: list[str]) -> list[str]:
        if any(not 0 < len(column) <= 63 for column in value) or len(set(value)) != len(value):
            raise ValueError("column names must be distinct identifiers")
        return value


class SequenceEntry(_Strict):
    name: str = _Identifier
    value: int
    is_called: bool


class Manifest(_Strict):
    format_version: Literal[1]
    name: str
    created_at: str | None = None
    method: Literal["pg_dump", "copy"]
    tool: str | None = None
    dump_major: int | None = None
    server_major: int | None = None
    database: str | None = None
    schema_name: str = Field(alias="schema", min_length=1, max_length=63)
    schema_revisions: list[str]
    note: str | None = None
    job_id: int | None = None
    sequences: list[SequenceEntry] = Field(default_factory=list)
    tables: list[TableEntry]

    @field_validator("tables")
    @classmethod
    def _distinct_tables(cls, value: list[TableEntry]) -> list[TableEntry]:
        if len({table.name for table in value}) != len(value):
            raise ValueError("a table is listed twice")
        return value

    @property
    def rows(self) -> int:
        return sum(table.rows for table in self.tables)

    def table(self, name: str) -> TableEntry | None:
        return next((table for table in self.tables if table.name == name), None)


def parse_manifest(raw: bytes) -> Manifest:
    """The manifest in ``raw``, or ``ManifestError`` saying in one line what is wrong."""
    try:
        return Manifest.model_validate_json(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ManifestError(
            f"manifest.json is malformed ({where + ': ' if where else ''}{first['msg']})"
        ) from None
