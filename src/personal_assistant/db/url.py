"""Which PostgreSQL the process uses: ``DATABASE_URL``, else the embedded server."""

from __future__ import annotations

from functools import lru_cache

from personal_assistant import embedded
from personal_assistant.settings import get_settings


@lru_cache(maxsize=1)
def database_url() -> str:
    """A libpq URL (``postgresql://...``) for the database in use."""
    settings = get_settings()
    if settings.database_url:
        return libpq_url(settings.database_url)
    return embedded.ensure_database(settings.embedded_data_dir, settings.embedded_database)


def libpq_url(url: str) -> str:
    for prefix in ("postgresql+psycopg://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql://" + url[len(prefix) :]
    return url


def sqlalchemy_url(url: str | None = None) -> str:
    """The same database, spelled for SQLAlchemy's psycopg 3 dialect."""
    return "postgresql+psycopg://" + libpq_url(url or database_url())[len("postgresql://") :]
