"""Start a chain of jobs and look at chains.

Only the first step is deferred at the start; each next one is deferred by the worker,
in the transaction that records its predecessor's success (see ``progress.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from procrastinate.tasks import Task
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from personal_assistant.chains.marker import step_lock
from personal_assistant.chains.models import JobChain, JobChainStep
from personal_assistant.errors import BadInput, NotFound
from personal_assistant.jobs.app import get_app
from personal_assistant.jobs.enqueue import JobOptions, defer, validated_args

STATUSES = ("running", "succeeded", "failed")


@dataclass(frozen=True)
class ChainStarted:
    chain_id: int
    first_job_id: int


async def start_chain(
    session: AsyncSession,
    steps: list[tuple[Task[Any, Any, Any], dict[str, Any]]],
    first_options: JobOptions | None = None,
) -> ChainStarted:
    """Record the chain and defer its first step; every step's args are checked first."""
    if not steps:
        raise BadInput("a chain needs at least one step")
    # Tasks get their namespaced names ("maintenance:ping") when the App is built.
    get_app()

    checked = [(task, validated_args(task, args)) for task, args in steps]
    chain = JobChain(
        steps=[{"task": task.name, "args": args} for task, args in checked],
        current_step=0,
        status="running",
    )
    session.add(chain)
    await session.flush()
    first_task, first_args = checked[0]
    options = replace(first_options or JobOptions(), queueing_lock=step_lock(chain.id, 0))
    job_id = await defer(session, first_task, first_args, options)
    session.add(JobChainStep(chain_id=chain.id, step=0, job_id=job_id, status="running"))
    await session.flush()
    return ChainStarted(chain_id=chain.id, first_job_id=job_id)


@dataclass(frozen=True)
class ChainView:
    id: int
    status: str
    current_step: int
    steps: list[dict[str, Any]]
    error: str | None
    created_at: datetime
    finished_at: datetime | None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status,
            "current_step": self.current_step,
            "steps": self.steps,
            "error": self.error,
            "created_at": self.created_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
        }


def _view(chain: JobChain, links: list[JobChainStep]) -> ChainView:
    by_step = {link.step: link for link in links}
    steps = []
    for index, step in enumerate(chain.steps):
        link = by_step.get(index)
        steps.append(
            {
                "step": index,
                "task": step["task"],
                "args": step["args"],
                "job_id": link.job_id if link else None,
                "status": link.status if link else "pending",
                "error": link.error if link else None,
            }
        )
    return ChainView(
        id=chain.id,
        status=chain.status,
        current_step=chain.current_step,
        steps=steps,
        error=chain.error,
        created_at=chain.created_at,
        finished_at=chain.finished_at,
    )


def check_status(status: str | None) -> None:
    if status is not None and status not in STATUSES:
        raise BadInput(f"unknown chain status {status!r}; statuses are {', '.join(STATUSES)}")


async def list_chains(
    session: AsyncSession, *, status: str | None = None, limit: int = 50
) -> list[ChainView]:
    check_status(status)
    query = select(JobChain).order_by(JobChain.id.desc()).limit(limit)
    if status is not None:
        query = query.where(JobChain.status == status)
    chains = list((await session.scalars(query)).all())
    links = (
        await session.scalars(
            select(JobChainStep).where(JobChainStep.chain_id.in_([c.id for c in chains]))
        )
    ).all()
    return [_view(chain, [link for link in links if link.chain_id == chain.id]) for chain in chains]


async def get_chain(session: AsyncSession, chain_id: int) -> ChainView:
    chain = await session.get(JobChain, chain_id)
    if chain is None:
        raise NotFound(f"no chain with id {chain_id}; `pa-tasks chains list` shows them")
    links = (
        await session.scalars(select(JobChainStep).where(JobChainStep.chain_id == chain_id))
    ).all()
    return _view(chain, list(links))
