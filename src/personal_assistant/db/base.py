"""The declarative base every model derives from, with stable constraint names."""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

from sqlalchemy import MetaData, func
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def now_default() -> Any:
    return func.now()


def load_all_models() -> MetaData:
    """Import every ``models`` module in the product, so ``Base.metadata`` is complete.

    A domain adds tables by adding its own ``models.py``; nothing here changes.
    """
    import personal_assistant

    for module in pkgutil.walk_packages(personal_assistant.__path__, "personal_assistant."):
        if module.name.rsplit(".", 1)[-1] == "models":
            importlib.import_module(module.name)
    return Base.metadata
