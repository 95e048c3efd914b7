"""Schema migrations through alembic: upgrade, downgrade, current revision and drift check."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.runtime.environment import EnvironmentContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, pool

from personal_assistant.db.schema_filters import include_name, include_object
from personal_assistant.db.url import sqlalchemy_url
from personal_assistant.errors import AssistantError, BadInput

ALEMBIC_INI = Path(__file__).resolve().parents[3] / "alembic.ini"


class SchemaDrift(AssistantError):
    """The models and the migrations disagree."""


def alembic_config(url: str | None = None) -> Config:
    if not ALEMBIC_INI.exists():
        raise AssistantError(
            f"alembic.ini not found at {ALEMBIC_INI}; install the project from its source tree"
        )
    config = Config(str(ALEMBIC_INI))
    config.set_main_option("sqlalchemy.url", sqlalchemy_url(url).replace("%", "%%"))
    return config


def upgrade(url: str | None = None, revision: str = "heads") -> None:
    config = alembic_config(url)
    check_target(ScriptDirectory.from_config(config), revision)
    command.upgrade(config, revision)


def check_target(script: ScriptDirectory, revision: str) -> None:
    """Refuse a target that is not ``head``, ``heads`` or one revision of ours, before
    alembic reads it (its parser asserts on some inputs)."""
    known = {script.revision for script in script.walk_revisions()}
    if revision in ("head", "heads") or revision in known:
        return
    raise BadInput(
        f"unknown revision {revision!r}; give heads or one of: {', '.join(sorted(known))}"
    )


def downgrade(url: str | None = None, revision: str = "base") -> None:
    command.downgrade(alembic_config(url), revision)


def head_revisions() -> set[str]:
    script = ScriptDirectory.from_config(alembic_config("postgresql://unused/db"))
    return set(script.get_heads())


def current_revisions(url: str | None = None) -> set[str]:
    engine = create_engine(sqlalchemy_url(url), poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            return set(MigrationContext.configure(conn).get_current_heads())
    finally:
        engine.dispose()


def current_revision(url: str | None = None) -> str | None:
    """The database's revision(s), comma-separated; None before any migration."""
    return ", ".join(sorted(current_revisions(url))) or None


def drift(url: str | None = None) -> list[Any]:
    """Differences between the models and the database, as alembic sees them."""
    from alembic.autogenerate import compare_metadata

    from personal_assistant.db.base import load_all_models

    metadata = load_all_models()
    config = alembic_config(url)
    script = ScriptDirectory.from_config(config)
    engine = create_engine(sqlalchemy_url(url), poolclass=pool.NullPool)
    try:
        with engine.connect() as conn, EnvironmentContext(config, script):
            context = MigrationContext.configure(
                conn,
                opts={
                    "include_object": include_object,
                    "include_name": include_name,
                    "compare_type": True,
                    "compare_server_default": True,
                    "target_metadata": metadata,
                },
            )
            return list(compare_metadata(context, metadata))
    finally:
        engine.dispose()


def check(url: str | None = None) -> str:
    """Raise ``SchemaDrift`` unless the database is at head and matches the models."""
    heads = head_revisions()
    current = current_revisions(url)
    if current != heads:
        raise SchemaDrift(
            f"database is at revision {', '.join(sorted(current)) or 'none'}, "
            f"head is {', '.join(sorted(heads))}; run `pa-tasks db upgrade`"
        )
    differences = drift(url)
    if differences:
        raise SchemaDrift(
            f"models and migrations disagree ({len(differences)} difference(s), first: "
            f"{differences[0]!r}); add a revision with `alembic revision --autogenerate`"
        )
    return ", ".join(sorted(heads))
