"""One operator action applied to many jobs: the ids given, or every job matching a filter.

Work goes in batches, one transaction each, newest first, so a large selection neither
holds locks for long nor is lost whole if the process stops. Each job goes through the
same single-job service as the CLI; a job that no longer qualifies (it finished or
started meanwhile) is skipped, not an error.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from personal_assistant.db.session import session_scope
from personal_assistant.errors import BadInput
from personal_assistant.jobs import control
from personal_assistant.jobs.search import JobFilter, matching_ids

Action = Callable[[AsyncSession, int], Awaitable[str]]


async def _abort(session: AsyncSession, job_id: int) -> str:
    return await control.cancel_job(session, job_id, abort=True)


ACTIONS: dict[str, Action] = {
    "retry": control.retry_job,
    "cancel": control.cancel_job,
    "abort": _abort,
    "delete": control.delete_job,
}
BATCH = 500
MAX_IDS = 10_000


@dataclass(frozen=True)
class BulkReport:
    done: int
    skipped: int


def action_of(name: str) -> Action:
    try:
        return ACTIONS[name]
    except KeyError:
        raise BadInput(f"unknown action {name!r}; actions are {', '.join(ACTIONS)}") from None


async def apply(
    name: str,
    *,
    ids: list[int] | None = None,
    flt: JobFilter | None = None,
    batch: int = BATCH,
    after_batch: Callable[[AsyncSession, int], Awaitable[None]] | None = None,
) -> BulkReport:
    """Apply action ``name`` to ``ids``, or else to every job matching ``flt``.

    ``after_batch(session, done_in_batch)`` runs inside each batch's transaction (e.g. to
    keep an audit count exact with what committed).
    """
    action = action_of(name)
    if ids is None and flt is None:
        raise BadInput("select jobs, or give a filter")
    if ids is not None and len(ids) > MAX_IDS:
        raise BadInput(f"at most {MAX_IDS} selected jobs at once; use the filter instead")
    done = skipped = 0
    pending = sorted(set(ids), reverse=True) if ids is not None else None
    before: int | None = None
    while True:
        async with session_scope() as session:
            if pending is not None:
                chunk, pending = pending[:batch], pending[batch:]
            else:
                assert flt is not None
                chunk = await matching_ids(session, flt, before=before, limit=batch)
            if not chunk:
                break
            before = chunk[-1]
            batch_done = 0
            for job_id in chunk:
                try:
                    await action(session, job_id)
                except BadInput:
                    skipped += 1
                else:
                    batch_done += 1
            if after_batch is not None:
                await after_batch(session, batch_done)
            done += batch_done
        if pending is not None and not pending:
            break
    return BulkReport(done=done, skipped=skipped)
