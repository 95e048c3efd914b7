"""How a task is declared: one domain (blueprint + queue), a payload model, a retry
policy and a timeout. The worker middleware reads the declaration; task bodies stay thin.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from procrastinate import Blueprint, JobContext
from procrastinate.tasks import Task
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from personal_assistant.jobs.limits import Limit
from personal_assistant.jobs.retry import DEFAULT, PermanentError, RetryPolicy

JSONResult = dict[str, Any] | None
PayloadT = TypeVar("PayloadT", bound=BaseModel)
TaskBody = Callable[[JobContext, PayloadT], Awaitable[JSONResult]]
# A check that needs I/O (e.g. an MCP tool's input schema), run before a job or a
# schedule of the task is stored; it raises BadInput to refuse.
ArgsCheck = Callable[[Any], Awaitable[None]]


class Payload(BaseModel):
    """Base of every task payload: unknown keys are a mistake, not silently dropped."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Tick(Payload):
    """The payload of a periodic task: the scheduled instant, as a Unix timestamp.

    0 when the task was deferred by hand rather than by the periodic deferrer.
    """

    timestamp: int = Field(default=0, ge=0)


class InvalidPayload(PermanentError):
    """The job's arguments do not match the task's payload model."""


@dataclass(frozen=True)
class TaskSpec:
    """What the rest of the system knows about a task besides its function."""

    short_name: str
    queue: str
    payload: type[BaseModel]
    retry: RetryPolicy
    timeout: float | None
    periodic: str | None
    description: str
    limits: tuple[Limit, ...] = ()
    check: ArgsCheck | None = None


def spec_of(task: Task[Any, Any, Any]) -> TaskSpec | None:
    spec: TaskSpec | None = getattr(task, "spec", None)
    return spec


class Domain:
    """A procrastinate Blueprint whose tasks all run on one queue."""

    def __init__(self, namespace: str, queue: str) -> None:
        self.namespace = namespace
        self.queue = queue
        self.blueprint = Blueprint()

    def task(
        self,
        *,
        name: str,
        payload: type[PayloadT],
        retry: RetryPolicy = DEFAULT,
        timeout: float | None = 300.0,
        periodic: str | None = None,
        limits: tuple[Limit, ...] = (),
        check: ArgsCheck | None = None,
    ) -> Callable[[TaskBody[PayloadT]], Task[Any, Any, Any]]:
        """Declare an async task taking ``(context, payload)`` and returning a JSON result.

        ``periodic`` is a cron expression; such a task's payload must be (or extend) ``Tick``.
        ``limits`` are per-key concurrency and rate limits (see ``jobs/limits.py``).
        ``check`` receives the validated payload before a job or schedule is stored.
        """
        if periodic and not issubclass(payload, Tick):
            raise TypeError(f"periodic task {name!r} needs a payload extending Tick")

        def decorate(body: TaskBody[PayloadT]) -> Task[Any, Any, Any]:
            @functools.wraps(body)
            async def run(context: JobContext, **kwargs: Any) -> JSONResult:
                try:
                    data = payload.model_validate(kwargs)
                except ValidationError as exc:
                    raise InvalidPayload(describe_validation_error(exc)) from None
                return await body(context, data)

            # procrastinate's decorators are typed for plain functions; ours takes kwargs.
            register: Any = self.blueprint.task(
                name=name, queue=self.queue, retry=retry, pass_context=True
            )
            task: Any = register(run)
            if periodic:
                task = self.blueprint.periodic(cron=periodic, periodic_id=name)(task)
            task.spec = TaskSpec(
                short_name=name,
                queue=self.queue,
                payload=payload,
                retry=retry,
                timeout=timeout,
                periodic=periodic,
                limits=limits,
                check=check,
                description=(body.__doc__ or "").strip().splitlines()[0] if body.__doc__ else "",
            )
            bound: Task[Any, Any, Any] = task
            return bound

        return decorate


def describe_validation_error(exc: ValidationError) -> str:
    """One line: the first field that is wrong and what it accepts."""
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "arguments"
    return f"{where}: {first['msg']}"
