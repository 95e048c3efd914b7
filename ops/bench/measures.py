"""One function per figure: each returns raw numbers and checks its own work.

Workers run in-process on the caller's event loop, so a task's start time and the
deferrer's clock are the same ``time.time()``.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, LiteralString

import psycopg
from targets import QUEUE, DeferOne, Target, reset_starts

from personal_assistant.settings import Settings

PREFILL_CHUNK = 1_000
WARM_UP_JOBS = 5
WARM_UP_PAUSE = 0.02


@dataclass(frozen=True)
class WorkerSettings:
    """The same worker options for both apps (the product's defaults)."""

    concurrency: int
    polling_interval: float
    heartbeat_interval: float
    stalled_after: float
    shutdown_timeout: float

    @classmethod
    def from_product(cls, settings: Settings, concurrency: int | None) -> WorkerSettings:
        return cls(
            concurrency=concurrency or sum(settings.worker_concurrency.values()),
            polling_interval=settings.poll_interval_seconds,
            heartbeat_interval=settings.heartbeat_interval_seconds,
            stalled_after=settings.stalled_after_seconds,
            shutdown_timeout=settings.shutdown_timeout_seconds,
        )


class BenchFailure(Exception):
    """A measurement did not do what it was meant to do; its numbers mean nothing."""


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


async def run_worker(target: Target, settings: WorkerSettings, *, wait: bool) -> None:
    # Only the options both apps share are passed: the project App adds its own
    # worker middleware from its worker defaults.
    await target.app.run_worker_async(
        queues=[QUEUE],
        wait=wait,
        name=f"bench-{target.label}",
        concurrency=settings.concurrency,
        fetch_job_polling_interval=settings.polling_interval,
        update_heartbeat_interval=settings.heartbeat_interval,
        stalled_worker_timeout=settings.stalled_after,
        shutdown_graceful_timeout=settings.shutdown_timeout,
        listen_notify=True,
        install_signal_handlers=False,
    )


@contextlib.asynccontextmanager
async def running_worker(target: Target, settings: WorkerSettings) -> AsyncIterator[None]:
    worker = asyncio.create_task(run_worker(target, settings, wait=True))
    try:
        yield
    finally:
        worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await worker


def execute(url: str, query: LiteralString, *params: object) -> list[tuple[Any, ...]]:
    with psycopg.connect(url, autocommit=True) as conn:
        cursor = conn.execute(query, params or None)
        return cursor.fetchall() if cursor.description else []


def empty_queue(target: Target) -> None:
    """Start every measurement from an empty queue (leftover rows slow fetches)."""
    execute(target.url, "TRUNCATE procrastinate_jobs, job_results CASCADE")


def count_jobs(target: Target, status: str) -> int:
    rows = execute(
        target.url,
        "SELECT count(*) FROM procrastinate_jobs WHERE queue_name = %s AND status = %s",
        QUEUE,
        status,
    )
    return int(rows[0][0])


def check_results_recorded(target: Target, expected: int) -> None:
    """The project app must have recorded every result: that cost is part of the figure."""
    if target.label != "project":
        return
    recorded = int(execute(target.url, "SELECT count(*) FROM job_results")[0][0])
    if recorded < expected:
        raise BenchFailure(f"{target.label}: {recorded} results recorded, expected {expected}")


@dataclass(frozen=True)
class DeferPath:
    target: Target
    figure: str
    defer_one: DeferOne


def _rotated(count: int, shift: int) -> list[int]:
    return [(i + shift) % count for i in range(count)]


def _check_todo(targets: list[Target], expected: dict[str, int]) -> None:
    for target in targets:
        if (found := count_jobs(target, "todo")) != expected[target.label]:
            raise BenchFailure(f"{target.label}: {found} jobs deferred, expected {expected}")


async def single_defer_rates(paths: list[DeferPath], jobs: int, chunk: int) -> list[float]:
    """jobs/s of each path, deferring ``jobs`` one by one.

    The paths take turns, ``chunk`` jobs at a time in a rotating order, so a burst of
    load elsewhere on the machine hits them all alike.
    """
    targets = list({path.target.label: path.target for path in paths}.values())
    for target in targets:
        empty_queue(target)
    spent = [0.0] * len(paths)
    for first in range(0, jobs, chunk):
        count = min(chunk, jobs - first)
        for i in _rotated(len(paths), first // chunk):
            started = time.perf_counter()
            for n in range(first, first + count):
                await paths[i].defer_one(n, None)
            spent[i] += time.perf_counter() - started
    expected = {t.label: jobs * sum(p.target is t for p in paths) for t in targets}
    _check_todo(targets, expected)
    return [jobs / seconds for seconds in spent]


async def batch_defer_rates(targets: list[Target], batch_size: int, batches: int) -> list[float]:
    """jobs/s of ``batch_defer_async``, the targets taking turns batch by batch."""
    for target in targets:
        empty_queue(target)
    spent = [0.0] * len(targets)
    for batch in range(batches):
        for i in _rotated(len(targets), batch):
            started = time.perf_counter()
            await targets[i].batch_defer(batch * batch_size, batch_size)
            spent[i] += time.perf_counter() - started
    _check_todo(targets, {t.label: batch_size * batches for t in targets})
    return [batch_size * batches / seconds for seconds in spent]


@dataclass(frozen=True)
class Drain:
    rate: float  # jobs/s, wall clock
    cpu_per_job: float  # seconds of this process's CPU per job: worker side only


async def drain(target: Target, settings: WorkerSettings, jobs: int) -> Drain:
    """Pre-insert ``jobs`` jobs, then time a worker (``wait=False``) until the queue is empty.

    Wall time swings with whatever else runs on the machine; this process's CPU time per
    job is steadier and shows what the worker side of each app costs.
    """
    empty_queue(target)
    for first in range(0, jobs, PREFILL_CHUNK):
        await target.batch_defer(first, min(PREFILL_CHUNK, jobs - first))
    # Fresh statistics, as a production table would have: a stale plan skews fetches.
    execute(target.url, "ANALYZE procrastinate_jobs")
    reset_starts()
    started, cpu_started = time.perf_counter(), time.process_time()
    await run_worker(target, settings, wait=False)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    if (done := count_jobs(target, "succeeded")) != jobs:
        raise BenchFailure(f"{target.label}: {done} of {jobs} jobs succeeded in the drain")
    check_results_recorded(target, jobs)
    return Drain(rate=jobs / elapsed, cpu_per_job=cpu / jobs)


async def _warm_up(target: Target, within: float, pause: float) -> None:
    """Prove the worker is up and listening before anything is timed.

    Each job is followed by ``pause``, like the timed ones: a job deferred while the
    worker's "anything else?" fetch is in flight can lose its wake-up and wait for the
    next poll (procrastinate clears the wake-up flag after every fetch).
    """
    starts = reset_starts()
    for n in range(WARM_UP_JOBS):
        await starts.wait_for(await target.defer_one(n, None), within)
        await asyncio.sleep(pause)


async def pickup_latencies(
    target: Target, settings: WorkerSettings, jobs: int, pause: float
) -> list[float]:
    """Seconds from just before the defer call to the task's first line, one job at a time."""
    empty_queue(target)
    timeout = settings.polling_interval + 10
    samples: list[float] = []
    async with running_worker(target, settings):
        await _warm_up(target, timeout, pause)
        starts = reset_starts()
        for n in range(jobs):
            deferred_at = time.time()
            job_id = await target.defer_one(n, None)
            samples.append(await starts.wait_for(job_id, timeout) - deferred_at)
            await asyncio.sleep(pause)
    return samples


async def scheduled_lateness(
    target: Target, settings: WorkerSettings, jobs: int, ahead: float
) -> list[float]:
    """Seconds from ``schedule_at`` to the task's first line.

    All jobs are deferred within a fraction of a second, each due ``ahead`` seconds later
    plus a stagger spread over one polling interval, so the due times sample every phase
    of the poll and no later deferral wakes the worker once a job is due.
    """
    empty_queue(target)
    spread = settings.polling_interval
    timeout = ahead + spread + 2 * settings.polling_interval + 10
    due: dict[int, float] = {}
    async with running_worker(target, settings):
        await _warm_up(target, timeout, WARM_UP_PAUSE)
        starts = reset_starts()
        first_deferral = time.time()
        for n in range(jobs):
            at = time.time() + ahead + n * spread / jobs
            job_id = await target.defer_one(n, datetime.fromtimestamp(at, UTC))
            due[job_id] = at
        if time.time() - first_deferral > ahead / 2:
            progress(f"  warning: deferring the scheduled jobs took over {ahead / 2:.1f} s")
        lateness = [await starts.wait_for(job_id, timeout) - at for job_id, at in due.items()]
    if min(lateness) < 0:
        raise BenchFailure(f"{target.label}: a job started {-min(lateness):.3f} s early")
    return lateness
