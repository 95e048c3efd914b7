"""All configuration, read from the environment (and an optional ``.env`` file).

``DATABASE_URL`` keeps its conventional name; every other variable is prefixed ``PA_``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

import platformdirs
from pydantic import (
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PositiveInt,
    SecretStr,
    ValidationError,
    field_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict, SettingsError

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


# --- Files, backups, sync and maintenance: list-valued settings ---
def _comma_separated(value: Any) -> Any:
    """A list setting given as ``a,b`` (or JSON ``["a", "b"]``) in the environment."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            import json

            return json.loads(text)
        return [item.strip() for item in text.split(",") if item.strip()]
    return value


TextList = Annotated[list[str], NoDecode, BeforeValidator(_comma_separated)]
PathList = Annotated[list[Path], NoDecode, BeforeValidator(_comma_separated)]


def _default_backup_dir() -> Path:
    return Path(platformdirs.user_data_dir("personal-assistant-tasks")) / "backups"


# --- end files, backups, sync and maintenance ---


# --- Flow control: resource guard thresholds ---
class GuardThresholds(BaseModel):
    """When a worker stops taking jobs of one queue; any limit reached engages the guard.

    ``None`` turns a limit off. It is released once every measure is back under its limit
    by the release ratio (hysteresis), so a load hovering at the limit does not flap.
    """

    model_config = ConfigDict(extra="forbid")

    load_per_core: float | None = Field(default=1.5, ge=0)
    min_available_memory_percent: float | None = Field(default=10.0, ge=0, le=100)
    max_db_connections: int | None = Field(default=None, ge=0)


def _default_guards() -> dict[str, GuardThresholds]:
    return {"ai_tasks": GuardThresholds(), "file_tasks": GuardThresholds()}


# --- end flow control ---
def argv_prefix(entry: str) -> tuple[str, ...]:
    """A ``PA_COMMAND_ALLOWLIST`` entry as the argv prefix it pins (shell-like words);
    ValueError if it is not one. Its first word is a bare name or an absolute path."""
    import shlex

    try:
        words = tuple(shlex.split(entry))
    except ValueError as exc:
        raise ValueError(f"{entry!r} cannot be split into words: {exc}") from None
    if not words:
        raise ValueError("an entry is empty")
    if "/" in words[0] and not words[0].startswith("/"):
        raise ValueError(f"{words[0]!r} is neither a bare program name nor an absolute path")
    return words


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
    # Claim jobs and write job ends many per statement (see jobs/batching.py).
    worker_batching: bool = True
    worker_batch_size: int = Field(default=50, ge=1, le=1000)
    watchdog_interval_seconds: float = Field(default=2.0, gt=0)
    rescue_max_attempts: PositiveInt = 5

    succeeded_retention_hours: PositiveInt = 24 * 7
    failed_retention_hours: PositiveInt = 24 * 30

    # --- Files, backups, sync and maintenance ---
    backup_dir: Path = Field(default_factory=_default_backup_dir)
    backup_keep: PositiveInt = 8
    backup_method: Literal["auto", "pg_dump", "copy"] = "auto"
    # HMAC-SHA256 key: backups are signed, and verify/restore refuse unsigned ones.
    backup_signing_key: SecretStr | None = None
    # After backup_dir and embedded_data_dir: the validator checks against them.
    cleanup_dirs: PathList = Field(default_factory=list)
    cleanup_max_age_hours: PositiveInt = 72
    calendar_feeds: TextList = Field(default_factory=list)
    calendar_timeout_seconds: float = Field(default=30.0, gt=0)
    notion_token: SecretStr | None = None
    notion_database_ids: TextList = Field(default_factory=list)
    notion_base_url: str = "https://api.notion.com"
    notion_timeout_seconds: float = Field(default=30.0, gt=0)
    ai_run_retention_days: PositiveInt = 90
    notification_retention_days: PositiveInt = 90
    heartbeat_retention_days: PositiveInt = 30

    @field_validator("backup_signing_key")
    @classmethod
    def _long_enough_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 16:
            raise ValueError("must be at least 16 characters (e.g. `openssl rand -hex 32`)")
        return value

    @field_validator("cleanup_dirs")
    @classmethod
    def _nothing_precious(cls, value: list[Path], info: Any) -> list[Path]:
        protected = {
            "/": Path("/"),
            "PA_EMBEDDED_DATA_DIR": info.data.get("embedded_data_dir"),
            "PA_BACKUP_DIR": info.data.get("backup_dir"),
        }
        for entry in value:
            root = entry.expanduser().resolve()
            for setting, path in protected.items():
                if path is None:
                    continue
                kept = path.expanduser().resolve()
                inside = setting != "/" and kept in root.parents
                if root == kept or root in kept.parents or inside:
                    what = "the root directory" if setting == "/" else f"{setting} ({kept})"
                    raise ValueError(f"{str(entry)!r} would clean {what}; list other directories")
        return value

    # --- end files, backups, sync and maintenance ---

    # --- Monitoring: metrics, health endpoints, alerts ---
    # A worker serves /metrics, /healthz and /readyz on this port; 0 turns it off.
    worker_http_port: int = Field(default=0, ge=0, le=65535)
    worker_http_host: str = "127.0.0.1"
    # Bound on each database round trip of a scrape, a readiness probe or a health check.
    monitoring_timeout_seconds: float = Field(default=2.0, gt=0)
    # The scheduler heartbeat runs every 30 minutes: older than this means two were missed.
    scheduler_heartbeat_max_age_seconds: float = Field(default=3600.0, gt=0)
    alert_window_minutes: PositiveInt = 15
    alert_min_jobs: PositiveInt = 10
    alert_failure_rate: float = Field(default=0.5, gt=0, le=1)
    alert_oldest_todo_seconds: float = Field(default=600.0, gt=0)
    alert_user_id: str | None = None
    alert_channel: str = "email"
    # --- end monitoring ---

    # Stored schedules: runs due this far ahead are deferred at each dispatch (every
    # minute); a missed run older than the grace is skipped even under "run_once".
    schedule_lookahead_seconds: float = Field(default=120.0, ge=60)
    schedule_misfire_grace_hours: float = Field(default=24.0, gt=0)

    # --- Email, general tasks and sequences ---
    smtp_host: str = "localhost"
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    # Unset: STARTTLS whenever the server offers it; true: required; false: never.
    smtp_starttls: bool | None = None
    smtp_tls: bool = False
    smtp_from: str = "assistant@localhost"
    smtp_timeout_seconds: float = Field(default=30.0, gt=0)
    # Retries of transient SMTP failures and re-queues by the outbox sweep both count;
    # an email that used this many attempts is marked failed.
    email_max_attempts: PositiveInt = 20
    # IANA zone of the user: the daily summary goes out at 08:00 there.
    user_timezone: str = "UTC"
    summary_email_to: TextList = Field(default_factory=list)
    # What ``general:run_command`` may run: argv prefixes whose first word is a bare name
    # (looked up on the worker's PATH) or an absolute path (see general/command_policy.py).
    command_allowlist: TextList = Field(default_factory=list)
    command_timeout_max_seconds: float = Field(default=300.0, gt=0, le=3600)
    # Kept per stream; stdout and stderr together must fit in a recorded job result.
    command_output_max_bytes: int = Field(default=4096, gt=0, le=6144)

    @property
    def smtp_configured(self) -> bool:
        """PA_SMTP_HOST was given (environment or .env): email can be sent."""
        return "smtp_host" in self.model_fields_set

    @field_validator("smtp_tls")
    @classmethod
    def _one_tls_mode(cls, value: bool, info: Any) -> bool:
        if value and info.data.get("smtp_starttls"):
            raise ValueError("PA_SMTP_TLS and PA_SMTP_STARTTLS exclude each other; set one")
        return value

    @field_validator("smtp_from")
    @classmethod
    def _sender_address(cls, value: str) -> str:
        from email.utils import parseaddr

        if "@" not in parseaddr(value)[1]:
            raise ValueError("must be an address such as assistant@example.com")
        return value

    @field_validator("user_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo

        try:
            ZoneInfo(value)
        except (ValueError, KeyError):  # ZoneInfoNotFoundError is a KeyError
            raise ValueError(
                f"unknown time zone {value!r}; use an IANA name such as Europe/Paris"
            ) from None
        return value

    @field_validator("command_allowlist")
    @classmethod
    def _argv_prefixes(cls, value: list[str]) -> list[str]:
        for entry in value:
            argv_prefix(entry)
        return value

    # --- end email, general tasks and sequences ---

    # --- AI tasks, notifications and circuit breakers ---
    # An OpenAI-compatible chat-completions API; with no base URL, AI tasks run offline
    # and deliver their instructions as a reminder.
    llm_base_url: str | None = None
    llm_model: str = "gpt-4o-mini"
    llm_api_key: SecretStr | None = None
    llm_timeout_seconds: float = Field(default=60.0, gt=0)
    llm_max_tool_rounds: PositiveInt = 8
    llm_breaker_failures: PositiveInt = 5
    llm_breaker_window_seconds: float = Field(default=60.0, gt=0)
    llm_breaker_cooldown_seconds: float = Field(default=30.0, gt=0)
    ai_run_timeout_seconds: float = Field(default=300.0, gt=0)
    ai_max_consecutive_failures: PositiveInt = 3
    ai_default_user: str = Field(default="me", min_length=1)
    # Modules that register extra agent tools (see ``ai/tools.py``), imported by workers.
    ai_tool_modules: TextList = Field(default_factory=list)
    # Where the email channel sends a user's notifications: a user -> address map, else
    # the default address.
    notify_user_emails: dict[str, str] = Field(default_factory=dict)
    notify_email_to: str | None = None
    notify_webhook_url: str | None = None
    notify_webhook_secret: SecretStr | None = None
    notify_webhook_timeout_seconds: float = Field(default=10.0, gt=0)
    # --- end AI tasks, notifications and circuit breakers ---

    # --- Flow control: pause, scale, resource guard, priority ageing ---
    # Upper bound of ``pa-tasks queues scale``.
    queue_max_concurrency: PositiveInt = 32
    # Workers re-read queue controls this often, besides the NOTIFY of each change.
    queue_control_recheck_seconds: float = Field(default=5.0, gt=0)
    # A waiting job counts one priority higher per interval waited; 0 turns ageing off.
    priority_ageing_seconds: float = Field(default=60.0, ge=0)
    # Heavy queues and their limits (JSON); queues not listed are never held back.
    resource_guard: dict[str, GuardThresholds] = Field(default_factory=_default_guards)
    resource_guard_interval_seconds: float = Field(default=2.0, gt=0)
    resource_guard_release_ratio: float = Field(default=0.8, gt=0, le=1)
    # --- end flow control ---
    # --- Bounds on what untrusted input may do ---
    # run_command: shells and interpreters only on this explicit opt-in; variables passed
    # to the child besides PATH, HOME, LANG and TZ.
    command_allow_interpreters: bool = False
    command_env_allowlist: TextList = Field(default_factory=list)
    # AI tasks, whoever asks (a user or a model): the shortest interval between runs, the
    # active or paused tasks a user may have, and per run the tasks a model may create
    # and the tool calls it may make. The agent's email goes to the task's owner and to
    # these addresses only.
    ai_min_interval_seconds: float = Field(default=60.0, gt=0)
    ai_max_active_tasks_per_user: PositiveInt = 50
    ai_max_tasks_per_run: PositiveInt = 3
    ai_max_tool_calls_per_run: PositiveInt = 20
    ai_email_recipients: TextList = Field(default_factory=list)
    # SMTP AUTH over a connection that is not encrypted sends the password in clear.
    smtp_allow_plaintext_auth: bool = False
    # --- end bounds ---
    # --- MCP: tool servers in the shared "mcpServers" JSON format ---
    mcp_config: Path | None = None
    mcp_timeout_seconds: float = Field(default=60.0, gt=0, le=3600)
    # Text and structured content of a tool's result, each, in a job's result.
    mcp_result_max_chars: int = Field(default=8000, gt=0, le=12000)
    mcp_breaker_failures: PositiveInt = 5
    mcp_breaker_window_seconds: float = Field(default=60.0, gt=0)
    mcp_breaker_cooldown_seconds: float = Field(default=30.0, gt=0)
    # --- end MCP ---

    # --- Dashboard (pa-tasks web) ---
    web_host: str = "127.0.0.1"
    web_port: int = Field(default=8765, ge=1, le=65535)
    # Basic-auth passwords (any user name) or bearer tokens: admin may act, read-only
    # may only look. With neither set, only loopback clients are served, as admin.
    web_admin_password: SecretStr | None = None
    web_readonly_password: SecretStr | None = None
    # Signs CSRF tokens; a random one per process when unset.
    web_secret: SecretStr | None = None
    # Every page's queries run under this statement timeout.
    web_statement_timeout_ms: int = Field(default=2000, ge=50, le=60000)
    # --- end dashboard ---

    # Import paths of modules outside the package that expose a task ``domain``.
    extra_task_modules: TextList = Field(default_factory=list)

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    log_format: Literal["text", "json"] = "text"

    @field_validator("log_level", mode="before")
    @classmethod
    def _level_name(cls, value: Any) -> Any:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("resource_guard")
    @classmethod
    def _guarded_queues_known(cls, value: dict[str, GuardThresholds]) -> dict[str, GuardThresholds]:
        unknown = sorted(set(value) - set(QUEUES))
        if unknown:
            raise ValueError(f"unknown queue {unknown[0]!r}; queues are {', '.join(QUEUES)}")
        return value

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
    if field in ("DATABASE_URL", "database_url"):
        # pydantic names the first alias; name the variable the operator set.
        import os

        set_as_pa = "PA_DATABASE_URL" in os.environ and "DATABASE_URL" not in os.environ
        return "PA_DATABASE_URL" if set_as_pa else "DATABASE_URL"
    return f"PA_{field.upper()}"


def _undecodable(exc: SettingsError) -> ConfigError:
    """A value the environment source could not decode (e.g. malformed JSON), named."""
    import re

    found = re.search(r'field "([^"]+)"', str(exc))
    name = _env_name((found.group(1),)) if found else "settings"
    cause = exc.__cause__
    detail = f"not valid JSON ({cause})" if cause is not None else str(exc)
    return ConfigError(f"invalid setting {name}: {detail}")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings; a bad value is one clear line, not a traceback."""
    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ConfigError(f"invalid setting {_env_name(first['loc'])}: {first['msg']}") from None
    except SettingsError as exc:
        raise _undecodable(exc) from None
