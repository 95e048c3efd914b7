"""Job hooks: what a domain wraps around every job, without the middleware knowing it.

A hook is an async context manager factory taking the job's context. The middleware
enters the registered hooks outermost, in registration order, around the job's limits
and timeout, so a hook sees the job's final outcome (and the exception the retry
strategy will see). A domain registers its hooks from its ``tasks`` module, which the
app imports when it is built.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager

from procrastinate import JobContext

JobHook = Callable[[JobContext], AbstractAsyncContextManager[None]]

_hooks: list[JobHook] = []


def register_job_hook(hook: JobHook) -> JobHook:
    """Wrap every job in ``hook``; registering the same hook twice keeps one."""
    if hook not in _hooks:
        _hooks.append(hook)
    return hook


@asynccontextmanager
async def job_hooks(context: JobContext) -> AsyncIterator[None]:
    async with AsyncExitStack() as stack:
        for hook in _hooks:
            await stack.enter_async_context(hook(context))
        yield
