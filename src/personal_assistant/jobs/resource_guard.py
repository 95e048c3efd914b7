"""A worker's resource guard: stop taking jobs from heavy queues while the machine is busy.

Each worker samples its machine (psutil): load average per core, available memory, and,
when a threshold asks for it, the database's client connections. A queue listed in
``PA_RESOURCE_GUARD`` is held back once any of its limits is reached, and released once
every measure is back under its limit by ``PA_RESOURCE_GUARD_RELEASE_RATIO``. Queues not
listed always flow. Running jobs are never interrupted: the guard only stops new fetches.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

import psutil
from prometheus_client import Gauge
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from personal_assistant.logs import log_fields
from personal_assistant.settings import GuardThresholds

logger = logging.getLogger("personal_assistant.worker")

GUARD_ENGAGED = Gauge(
    "pa_resource_guard_engaged",
    "1 while this worker's resource guard holds the queue back, else 0.",
    ["queue"],
    registry=None,  # registered by the worker's registry (monitoring.metrics)
)

DB_CONNECTIONS = """
SELECT count(*) AS n FROM pg_stat_activity
 WHERE datname = current_database() AND backend_type = 'client backend'
"""


@dataclass(frozen=True)
class Sample:
    load_per_core: float
    available_memory_percent: float
    db_connections: int | None = None

    def describe(self) -> str:
        text = (
            f"load {self.load_per_core:.2f}/core, "
            f"{self.available_memory_percent:.0f}% memory available"
        )
        if self.db_connections is not None:
            text += f", {self.db_connections} database connections"
        return text


def sample_machine(db_connections: int | None = None) -> Sample:
    load1, _, _ = psutil.getloadavg()
    return Sample(
        load_per_core=load1 / (psutil.cpu_count() or os.cpu_count() or 1),
        available_memory_percent=100.0 - float(psutil.virtual_memory().percent),
        db_connections=db_connections,
    )


def _reached(limits: GuardThresholds, sample: Sample) -> list[str]:
    """The limits ``sample`` reaches, described; empty when none."""
    reached = []
    if limits.load_per_core is not None and sample.load_per_core >= limits.load_per_core:
        reached.append(f"load {sample.load_per_core:.2f}/core >= {limits.load_per_core:g}")
    floor = limits.min_available_memory_percent
    if floor is not None and sample.available_memory_percent <= floor:
        reached.append(f"memory available {sample.available_memory_percent:.0f}% <= {floor:g}%")
    top = limits.max_db_connections
    if top is not None and sample.db_connections is not None and sample.db_connections >= top:
        reached.append(f"database connections {sample.db_connections} >= {top}")
    return reached


def _clear(limits: GuardThresholds, sample: Sample, ratio: float) -> bool:
    """Every measure is under its limit with the hysteresis margin."""
    if limits.load_per_core is not None and sample.load_per_core >= limits.load_per_core * ratio:
        return False
    floor = limits.min_available_memory_percent
    if floor is not None and sample.available_memory_percent <= floor / ratio:
        return False
    top = limits.max_db_connections
    return not (
        top is not None
        and sample.db_connections is not None
        and sample.db_connections >= top * ratio
    )


class ResourceGuard:
    """Which queues are held back; ``update`` applies one sample and reports changes."""

    def __init__(self, thresholds: dict[str, GuardThresholds], release_ratio: float) -> None:
        self.thresholds = dict(thresholds)
        self.release_ratio = release_ratio
        self.held: dict[str, str] = {}  # queue -> why
        for queue in self.thresholds:
            GUARD_ENGAGED.labels(queue=queue).set(0)

    @property
    def needs_db_connections(self) -> bool:
        return any(t.max_db_connections is not None for t in self.thresholds.values())

    def update(self, sample: Sample, worker: str | None = None) -> bool:
        """Engage or release queues for ``sample``; True if any queue changed state."""
        changed = False
        for queue, limits in self.thresholds.items():
            reached = _reached(limits, sample)
            if queue not in self.held and reached:
                self.held[queue] = "; ".join(reached)
                changed = True
                GUARD_ENGAGED.labels(queue=queue).set(1)
                logger.warning(
                    "resource guard engaged: not taking %s jobs (%s)",
                    queue,
                    self.held[queue],
                    extra=log_fields("resource_guard_engaged", queue=queue, worker=worker),
                )
            elif queue in self.held and _clear(limits, sample, self.release_ratio):
                del self.held[queue]
                changed = True
                GUARD_ENGAGED.labels(queue=queue).set(0)
                logger.info(
                    "resource guard released: taking %s jobs again (%s)",
                    queue,
                    sample.describe(),
                    extra=log_fields("resource_guard_released", queue=queue, worker=worker),
                )
        return changed

    def detail(self) -> str:
        return "; ".join(f"{q}: {why}" for q, why in sorted(self.held.items()))


@dataclass(frozen=True)
class WorkerGuardState:
    worker_id: int
    worker_name: str | None
    held_queues: list[str]
    detail: str


LIVE_GUARDS = text(
    """
    SELECT g.worker_id, g.worker_name, g.held_queues, g.detail
      FROM worker_resource_guards g
      JOIN procrastinate_workers w ON w.id = g.worker_id
     ORDER BY g.worker_id
    """
)


async def live_guard_states(session: AsyncSession) -> list[WorkerGuardState]:
    """The guard state each live worker published (workers with no heavy queue publish none)."""
    rows = (await session.execute(LIVE_GUARDS)).mappings().all()
    return [
        WorkerGuardState(
            worker_id=r["worker_id"],
            worker_name=r["worker_name"],
            held_queues=[q for q in r["held_queues"].split(",") if q],
            detail=r["detail"],
        )
        for r in rows
    ]
