"""The dump reader yields the manifest's data and refuses everything else."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from personal_assistant.files.dump import CopyEnd, CopyStart, DumpRefused, SetValue, read_dump
from personal_assistant.files.manifest import Manifest, parse_manifest

MANIFEST = parse_manifest(
    b'{"format_version": 1, "name": "pa-backup-20260104T010000Z", "method": "pg_dump",'
    b' "schema": "public", "schema_revisions": ["r1"],'
    b' "tables": [{"name": "notes", "rows": 2, "columns": ["id", "Body text"]}]}'
)
PREAMBLE = [
    "--",
    "-- PostgreSQL database dump",
    "\\restrict AbC123",
    "SET statement_timeout = 0;",
    "SET client_encoding = 'UTF8';",
    "SET standard_conforming_strings = on;",
    "SELECT pg_catalog.set_config('search_path', '', false);",
    "SET xmloption = content;",
    "",
]
DATA = [
    'COPY public.notes (id, "Body text") FROM stdin;',
    "1\t\\\\! not a command",
    "2\tDROP TABLE notes;",
    "\\.",
    "SELECT pg_catalog.setval('public.notes_id_seq', 2, true);",
    "\\unrestrict AbC123",
]


def _read(lines: list[str], manifest: Manifest = MANIFEST) -> list[object]:
    return list(read_dump(iter(lines), manifest))


def test_what_pg_dump_writes_is_read_as_data() -> None:
    assert _read(PREAMBLE + DATA) == [
        CopyStart("notes"),
        "1\t\\\\! not a command",
        "2\tDROP TABLE notes;",
        CopyEnd("notes", 2),
        SetValue("notes_id_seq", 2, True),
    ]


@pytest.mark.parametrize(
    ("line", "why"),
    [
        ("\\! touch /tmp/x", "not data of"),
        ("\\copy notes from '/etc/passwd'", "not data of"),
        ("DROP TABLE public.notes;", "not data of"),
        ("SET search_path = evil;", "not data of"),
        ("SET client_encoding = 'LATIN1';", "only UTF8"),
        ("COPY public.procrastinate_jobs (id) FROM stdin;", "a table the manifest does not list"),
        ('COPY other.notes (id, "Body text") FROM stdin;', "a table the manifest does not list"),
        ("COPY public.notes (id) FROM stdin;", "columns other than"),
        ("SELECT pg_catalog.setval('other.notes_id_seq', 2, true);", "a sequence outside"),
        ('COPY public.notes (id, "Body text") FROM stdin; DROP TABLE x;', "not data of"),
    ],
)
def test_anything_else_is_refused_with_its_line_number(line: str, why: str) -> None:
    with pytest.raises(DumpRefused, match=f"line {len(PREAMBLE) + 1} is {why}"):
        _read([*PREAMBLE, line, *DATA])


def test_a_table_twice_and_a_cut_short_block_are_refused() -> None:
    with pytest.raises(DumpRefused, match="a second copy"):
        _read(PREAMBLE + DATA[:4] + DATA[:4])
    with pytest.raises(DumpRefused, match="cut short"):
        _read(PREAMBLE + DATA[:2])


@given(st.lists(st.text(max_size=80), max_size=8))
def test_arbitrary_lines_outside_a_block_are_skipped_or_refused(lines: list[str]) -> None:
    try:
        items = _read(lines)
    except DumpRefused as refused:
        assert "\n" not in str(refused)
        return
    # Accepted only as preamble, or as data of the manifest's own table.
    assert all(isinstance(i, (CopyStart, CopyEnd, SetValue, str)) for i in items)
    assert all(i.table == "notes" for i in items if isinstance(i, (CopyStart, CopyEnd)))
