"""Defer jobs on the caller's transaction, so a business row and its job commit together.

Every deferral in the product goes through here. Payloads are validated before any
write, so a bad argument never leaves a job behind.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from procrastinate import exceptions as pexc
from procrastinate.tasks import Task
from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from personal_assistant.db.session import raw_connection
from personal_assistant.errors import BadInput
from personal_assistant.jobs.app import get_app
from personal_assistant.jobs.declare import describe_validation_error, spec_of


class AlreadyQueued(BadInput):
    """A job with this queueing lock is already waiting."""


@dataclass(frozen=True)
class JobOptions:
    schedule_at: datetime | None = None
    priority: int | None = None
    lock: str | None = None
    queueing_lock: str | None = None
    queue: str | None = None

    def configure_kwargs(self) -> dict[str, Any]:
        options = {
            "schedule_at": self.schedule_at,
            "priority": self.priority,
            "lock": self.lock,
            "queueing_lock": self.queueing_lock,
            "queue": self.queue,
        }
        return {key: value for key, value in options.items() if value is not None}


def validated_args(task: Task[Any, Any, Any], args: dict[str, Any] | BaseModel) -> dict[str, Any]:
    """The task's kwargs as JSON, checked against its payload model."""
    spec = spec_of(task)
    if isinstance(args, BaseModel):
        return args.model_dump(mode="json")
    if spec is None:
        return args
    try:
        return spec.payload.model_validate(args).model_dump(mode="json", exclude_unset=True)
    except ValidationError as exc:
        raise BadInput(f"invalid args for {task.name}: {describe_validation_error(exc)}") from None


async def checked_args(
    task: Task[Any, Any, Any], args: dict[str, Any] | BaseModel
) -> dict[str, Any]:
    """``validated_args``, then the task's own check when it has one (it may do I/O).

    Entry points that store a job or a schedule for a user call this; ``defer`` itself
    does not, so the dispatcher does not repeat the check at every fire (the task
    validates its payload again when it runs).
    """
    kwargs = validated_args(task, args)
    spec = spec_of(task)
    if spec is not None and spec.check is not None:
        await spec.check(spec.payload.model_validate(kwargs))
    return kwargs


async def defer(
    session: AsyncSession,
    task: Task[Any, Any, Any],
    args: dict[str, Any] | BaseModel | None = None,
    options: JobOptions | None = None,
) -> int:
    """Insert the job in ``session``'s transaction and return its id.

    Nothing is visible to workers until the caller commits; a rollback removes it.
    """
    get_app()  # binds the tasks: a service may run before anything built the App
    kwargs = validated_args(task, args or {})
    configured = (options or JobOptions()).configure_kwargs()
    if "queue" not in configured:
        configured["queue"] = task.queue
    connection = await raw_connection(session)
    try:
        if configured.get("queueing_lock"):
            # A unique violation would poison the caller's transaction: isolate it.
            async with session.begin_nested():
                await session.connection()
                return await _defer(task, connection, configured, kwargs)
        return await _defer(task, connection, configured, kwargs)
    except pexc.AlreadyEnqueued:
        raise AlreadyQueued(
            f"a job with queueing lock {configured['queueing_lock']!r} is already waiting"
        ) from None


async def _defer(
    task: Task[Any, Any, Any], connection: Any, configured: dict[str, Any], kwargs: dict[str, Any]
) -> int:
    job_id: int = await task.configure(connection=connection, **configured).defer_async(**kwargs)
    return job_id
