"""Which database objects alembic compares: everything but procrastinate's.

procrastinate's schema is vendored SQL, not models; without these filters autogenerate
would propose to drop its tables.
"""

from __future__ import annotations

from typing import Any

PREFIX = "procrastinate_"


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    return not (name and name.startswith(PREFIX))


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    if name and name.startswith(PREFIX):
        return False
    table = getattr(obj, "table", None)
    return not (table is not None and str(table.name).startswith(PREFIX))
