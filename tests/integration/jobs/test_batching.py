"""Batched claims keep the fetch rules; grouped successes keep procrastinate's events."""

from __future__ import annotations

import asyncio
from typing import Any

import psycopg
from procrastinate import PsycopgConnector

from personal_assistant.jobs.batching import Success, SuccessWriter
from personal_assistant.jobs.fetch import claim_jobs as claim
from tests.support.db import query, scalar


def _insert(url: str, *jobs: dict[str, Any]) -> list[int]:
    """Jobs inserted the way procrastinate defers them (its own SQL function)."""
    ids = []
    with psycopg.connect(url, autocommit=True) as conn:
        for job in jobs:
            row = conn.execute(
                "SELECT procrastinate_defer_jobs_v1(ARRAY[ROW(%s, %s, %s, %s, NULL, '{}'::jsonb,"
                " %s)]::procrastinate_job_to_defer_v1[])",
                (
                    job.get("queue", "q"),
                    job.get("task", "t"),
                    job.get("priority", 0),
                    job.get("lock"),
                    job.get("scheduled_at"),
                ),
            ).fetchone()
            assert row is not None
            ids.append(row[0][0])
    return ids


def _worker_id(url: str) -> int:
    return int(scalar(url, "SELECT procrastinate_register_worker_v1()"))


async def claim_jobs(
    connector: PsycopgConnector, queues: list[str] | None, worker_id: int, limit: int
) -> list[Any]:
    return await claim(
        connector, worker_id=worker_id, include=queues, exclude=None, ageing_seconds=0,
        limit=limit,
    )  # fmt: skip


async def _connector(url: str) -> PsycopgConnector:
    connector = PsycopgConnector(conninfo=url, min_size=1, max_size=4)
    await connector.open_async()
    return connector


async def test_one_claim_takes_the_due_jobs_by_priority_and_one_per_lock(database_url: str) -> None:
    low, high, locked_first, locked_second, future, other_queue = _insert(
        database_url,
        {"priority": 0},
        {"priority": 5},
        {"lock": "L", "priority": 1},
        {"lock": "L", "priority": 1},
        {"scheduled_at": "2999-01-01T00:00:00Z"},
        {"queue": "elsewhere"},
    )
    connector = await _connector(database_url)
    try:
        worker = _worker_id(database_url)
        claimed = await claim_jobs(connector, ["q"], worker, limit=10)
        assert [job.id for job in claimed] == [high, locked_first, low]
        # The lock's second job waits while the first is running, whatever the limit.
        assert await claim_jobs(connector, ["q"], worker, limit=10) == []
        # A paused queue gives nothing, and the rest of the batch comes from elsewhere.
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute("INSERT INTO queue_controls (queue, paused) VALUES ('elsewhere', true)")
        assert await claim_jobs(connector, None, worker, limit=10) == []
        statuses = dict(query(database_url, "SELECT id, status::text FROM procrastinate_jobs"))
        assert statuses[locked_second] == statuses[future] == statuses[other_queue] == "todo"
        assert {statuses[i] for i in (high, locked_first, low)} == {"doing"}
    finally:
        await connector.close_async()


async def test_claims_never_exceed_the_limit_nor_overlap(database_url: str) -> None:
    _insert(database_url, *({"priority": i % 3} for i in range(30)))
    connector = await _connector(database_url)
    try:
        worker = _worker_id(database_url)
        claims = await asyncio.gather(*(claim_jobs(connector, None, worker, 4) for _ in range(8)))
        ids = [job.id for claim in claims for job in claim]
        assert all(len(claim) <= 4 for claim in claims)
        assert len(ids) == len(set(ids)) == 30
    finally:
        await connector.close_async()


async def test_grouped_successes_write_results_and_succeeded_events(database_url: str) -> None:
    ids = _insert(database_url, *({} for _ in range(12)))
    connector = await _connector(database_url)
    try:
        worker = _worker_id(database_url)
        claimed = await claim_jobs(connector, None, worker, limit=12)
        writer = SuccessWriter(connector, max_batch=5)
        await asyncio.gather(
            *(
                writer.write(
                    Success(job.id or 0, worker, job.task_name, {"n": n} if n % 2 else None)
                )
                for n, job in enumerate(claimed)
            )
        )
    finally:
        await connector.close_async()
    rows = query(database_url, "SELECT status::text, attempts FROM procrastinate_jobs")
    assert rows == [("succeeded", 1)] * 12
    assert scalar(database_url, "SELECT count(*) FROM job_results") == 6
    events = query(
        database_url,
        "SELECT type::text, count(*) FROM procrastinate_events WHERE job_id = ANY(%s)"
        " GROUP BY 1 ORDER BY 1",
        ids,
    )
    assert events == [("deferred", 12), ("started", 12), ("succeeded", 12)]


async def test_a_success_for_a_job_no_longer_running_changes_nothing(database_url: str) -> None:
    (job_id,) = _insert(database_url, {})
    connector = await _connector(database_url)
    try:
        first, second = _worker_id(database_url), _worker_id(database_url)
        await claim_jobs(connector, None, first, limit=1)
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute("UPDATE procrastinate_jobs SET status = 'todo' WHERE id = %s", (job_id,))
        # A rescue put it back: the first worker's late success must not mark it done,
        await SuccessWriter(connector, max_batch=5).write(Success(job_id, first, "t", None))
        assert scalar(database_url, "SELECT status::text FROM procrastinate_jobs") == "todo"
        # nor, once another worker has claimed it, end that worker's run.
        await claim_jobs(connector, None, second, limit=1)
        await SuccessWriter(connector, max_batch=5).write(Success(job_id, first, "t", None))
    finally:
        await connector.close_async()
    assert scalar(database_url, "SELECT status::text FROM procrastinate_jobs") == "doing"
