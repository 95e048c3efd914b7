"""All configuration, read from the environment (and an optional ``.env`` file).

``DATABASE_URL`` keeps its conventional name; every other variable is prefixed ``PA_``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import platformdirs
from pydantic import AliasChoices, Field, PositiveInt, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from personal_assistant.errors import ConfigError

QUEUES: tuple[str, ...] = (
    "ai_tasks",
    "email_tasks",
    "file_tasks",
    "sync_tasks",
    "maintenance_tasks",
)

DEFAULT_CONCURRENCY: dict[str, int] = {
    "ai_tasks": 1,
    "email_tasks": 4,
    "file_tasks": 2,
    "sync_tasks": 2,
    "maintenance_tasks": 1,
}


def _default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("personal-assistant-tasks")) / "postgres"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="PA_", env_file=".env", extra="ignore", populate_by_name=True
    )

    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "PA_DATABASE_URL")
    )
    pool_min_size: PositiveInt = 1
    pool_max_size: PositiveInt = 10
    embedded_data_dir: Path = Field(default_factory=_default_data_dir)
    embedded_database: str = "personal_assistant"

    worker_concurrency: dict[str, PositiveInt] = Field(
        default_factory=lambda: dict(DEFAULT_CONCURRENCY)
    )
    shutdown_timeout_seconds: float = Field(default=30.0, ge=0)
    heartbeat_interval_seconds: float = Field(default=5.0, gt=0)
    stalled_after_seconds: float = Field(default=30.0, gt=0)
    poll_interval_seconds: float = Field(default=5.0, gt=0)
    watchdog_interval_seconds: float = Field(default=2.0, gt=0)
    rescue_max_attempts: PositiveInt = 5

    succeeded_retention_hours: PositiveInt = 24 * 7
    failed_retention_hours: PositiveInt = 24 * 30

    log_level: str = "INFO"
    log_format: str = Field(default="text", pattern="^(text|json)$")

    @field_validator("worker_concurrency")
    @classmethod
    def _known_queues(cls, value: dict[str, int]) -> dict[str, int]:
        unknown = sorted(set(value) - set(QUEUES))
        if unknown:
            raise ValueError(f"unknown queue {unknown[0]!r}; queues are {', '.join(QUEUES)}")
        return {**DEFAULT_CONCURRENCY, **value}

    @field_validator("database_url")
    @classmethod
    def _postgres_url(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        assert value is not None
        if not value.startswith(("postgresql://", "postgres://", "postgresql+psycopg://")):
            raise ValueError(
                "must start with postgresql://, e.g. postgresql://user:pw@host:5432/db"
            )
        return value

    @field_validator("pool_max_size")
    @classmethod
    def _pool_bounds(cls, value: int, info: Any) -> int:
        if value < info.data.get("pool_min_size", 1):
            raise ValueError("must be at least PA_POOL_MIN_SIZE")
        return value


def _env_name(loc: tuple[Any, ...]) -> str:
    field = str(loc[0]) if loc else "settings"
    return "DATABASE_URL" if field == "database_url" else f"PA_{field.upper()}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings; a bad value is one clear line, not a traceback."""
    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ConfigError(f"invalid setting {_env_name(first['loc'])}: {first['msg']}") from None
