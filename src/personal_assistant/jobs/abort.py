"""Stopping a job on request (``pa-tasks jobs cancel ID --abort``).

procrastinate cancels an aborted async job's asyncio task, which stops it at its next
``await``. Work running in a thread is not cancelled that way: it calls the checkpoint
below between steps, which raises ``JobAborted`` once an abort was asked for.
"""

from __future__ import annotations

from collections.abc import Callable

from procrastinate import JobContext
from procrastinate.exceptions import JobAborted


def abort_checkpoint(context: JobContext) -> Callable[[], None]:
    """A callable for blocking code: raises ``JobAborted`` once the job should stop."""

    def check() -> None:
        if context.should_abort():
            raise JobAborted(f"{context.job.task_name}[{context.job.id}] aborted on request")

    return check
