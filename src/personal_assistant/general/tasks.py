"""General tasks on ``maintenance_tasks``: allow-listed commands and plugins.

Neither a command nor a plugin is known to be safe to repeat, so neither is retried:
a failure is final and visible, and ``pa-tasks jobs retry`` runs it again on purpose.
"""

from __future__ import annotations

from typing import Any

from procrastinate import JobContext
from pydantic import Field, field_validator

from personal_assistant.general.commands import CommandPolicy, refusal, run_command
from personal_assistant.general.plugins import PluginNotFound, call_plugin, find_plugin
from personal_assistant.jobs.declare import Domain, JSONResult, Payload
from personal_assistant.jobs.retry import NO_RETRY
from personal_assistant.settings import get_settings

domain = Domain(namespace="general", queue="maintenance_tasks")


class RunCommandPayload(Payload):
    argv: list[str] = Field(min_length=1, max_length=1000)
    # Capped by PA_COMMAND_TIMEOUT_MAX_SECONDS.
    timeout_seconds: float = Field(default=60.0, gt=0)

    @field_validator("argv")
    @classmethod
    def _allowed(cls, argv: list[str]) -> list[str]:
        # Checked when the job is deferred too, so a refused program never gets a job.
        reason = refusal(argv, CommandPolicy.from_settings(get_settings()))
        if reason:
            raise ValueError(reason)
        return argv


class CallPluginPayload(Payload):
    plugin: str = Field(min_length=1, max_length=200)
    kwargs: dict[str, Any] = Field(default_factory=dict)

    @field_validator("plugin")
    @classmethod
    def _installed(cls, name: str) -> str:
        # Checked when the job is deferred too: an unknown plugin never gets a job.
        try:
            find_plugin(name)
        except PluginNotFound as exc:
            raise ValueError(str(exc)) from None
        return name


@domain.task(name="run_command", payload=RunCommandPayload, retry=NO_RETRY, timeout=3700)
async def run_command_task(context: JobContext, payload: RunCommandPayload) -> JSONResult:
    """Run an allowed argv (no shell, minimal environment) and return its status and output."""
    settings = get_settings()
    return await run_command(
        payload.argv,
        timeout_seconds=min(payload.timeout_seconds, settings.command_timeout_max_seconds),
        policy=CommandPolicy.from_settings(settings),
        output_cap=settings.command_output_max_bytes,
    )


@domain.task(name="call_plugin", payload=CallPluginPayload, retry=NO_RETRY, timeout=3600)
async def call_plugin_task(context: JobContext, payload: CallPluginPayload) -> JSONResult:
    """Call a callable of the personal_assistant.plugins entry-point group with JSON kwargs."""
    result = await call_plugin(payload.plugin, payload.kwargs)
    return {"plugin": payload.plugin, "result": result}
