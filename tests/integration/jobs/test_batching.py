"""Batched claims keep the fetch rules; grouped successes keep procrastinate's events."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import psycopg
from procrastinate import PsycopgConnector

from personal_assistant.jobs.batching import Ending, EndingWriter, Retry
from personal_assistant.jobs.failures import FailedAttempt
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


def _success(job_id: int, worker_id: int, result: Any) -> Ending:
    return Ending(
        job_id=job_id, worker_id=worker_id, task_name="t", queue="q", attempt=1,
        outcome="succeeded", result=result,
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
        writer = EndingWriter(connector, max_batch=5)
        await asyncio.gather(
            *(
                writer.write(_success(job.id or 0, worker, {"n": n} if n % 2 else None))
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
        await EndingWriter(connector, max_batch=5).write(_success(job_id, first, None))
        assert scalar(database_url, "SELECT status::text FROM procrastinate_jobs") == "todo"
        # nor, once another worker has claimed it, end that worker's run.
        await claim_jobs(connector, None, second, limit=1)
        await EndingWriter(connector, max_batch=5).write(_success(job_id, first, None))
    finally:
        await connector.close_async()
    assert scalar(database_url, "SELECT status::text FROM procrastinate_jobs") == "doing"


async def test_one_group_ends_jobs_exactly_as_procrastinates_own_functions(
    database_url: str,
) -> None:
    """Successes, failures and retries (one of them of a job whose abort was requested)
    in one statement leave the same rows and events as finish_job and retry_job."""
    retry_at = "2999-01-01T00:00:00+00:00"
    endings = [
        ("succeeded", None, False),
        ("failed", None, False),
        ("todo", Retry(at=datetime.fromisoformat(retry_at), priority=7, lock="L2"), False),
        ("todo", Retry(at=None, queue="later"), False),
        ("todo", Retry(at=datetime.fromisoformat(retry_at)), True),
    ]
    grouped = _insert(database_url, *({} for _ in endings))
    alone = _insert(database_url, *({} for _ in endings))
    connector = await _connector(database_url)
    try:
        worker = _worker_id(database_url)
        assert len(await claim_jobs(connector, None, worker, limit=20)) == 2 * len(endings)
        with psycopg.connect(database_url, autocommit=True) as conn:
            for (_, _, abort), a, b in zip(endings, grouped, alone, strict=True):
                if abort:
                    conn.execute(
                        "UPDATE procrastinate_jobs SET abort_requested = true WHERE id = ANY(%s)",
                        ([a, b],),
                    )
        error = FailedAttempt("ValueError", "bad", "Traceback ...")
        await asyncio.gather(
            *(
                EndingWriter(connector, max_batch=10).write(
                    Ending(
                        job_id=job_id,
                        worker_id=worker,
                        task_name="t",
                        queue="q",
                        attempt=1,
                        outcome=outcome,
                        retry=retry,
                        error=None if outcome == "succeeded" else error,
                        worker_name="w",
                    )
                )
                for (outcome, retry, _), job_id in zip(endings, grouped, strict=True)
            )
        )
        with psycopg.connect(database_url, autocommit=True) as conn:
            for (outcome, retry, _), job_id in zip(endings, alone, strict=True):
                if retry is None:
                    conn.execute(
                        "SELECT procrastinate_finish_job_v1(%s, %s, false)", (job_id, outcome)
                    )
                else:
                    conn.execute(
                        "SELECT procrastinate_retry_job_v2(%s, %s, %s, %s, %s)",
                        (job_id, retry.at, retry.priority, retry.queue, retry.lock),
                    )
    finally:
        await connector.close_async()
    # abort_requested left aside: cleared on every ended job (retry_job keeps it set).
    columns = "status::text, attempts, scheduled_at, priority, queue_name, lock"
    for a, b in zip(grouped, alone, strict=True):
        assert query(
            database_url, f"SELECT {columns} FROM procrastinate_jobs WHERE id = %s", a
        ) == (query(database_url, f"SELECT {columns} FROM procrastinate_jobs WHERE id = %s", b))
        events = "SELECT type::text FROM procrastinate_events WHERE job_id = %s ORDER BY id"
        assert query(database_url, events, a) == query(database_url, events, b)
    statuses = [
        scalar(database_url, "SELECT status::text FROM procrastinate_jobs WHERE id = %s", a)
        for a in grouped
    ]
    assert statuses == ["succeeded", "failed", "todo", "todo", "failed"]
    cleared = "SELECT bool_or(abort_requested) FROM procrastinate_jobs WHERE id = ANY(%s)"
    assert scalar(database_url, cleared, grouped) is False
    assert query(
        database_url,
        "SELECT job_id, error_type, message, worker FROM job_errors ORDER BY job_id",
    ) == [(job_id, "ValueError", "bad", "w") for job_id in grouped[1:]]


async def test_a_batch_claim_with_several_priorities_keeps_the_ageing_order(
    database_url: str,
) -> None:
    old, urgent, fresh, locked, locked_next = _insert(
        database_url,
        {"priority": 0},
        {"priority": 5},
        {"priority": 4},
        {"priority": 3, "lock": "L"},
        {"priority": 3, "lock": "L"},
    )
    with psycopg.connect(database_url, autocommit=True) as conn:
        # Waiting 200 s at 30 s per level: counts as priority 6, above the urgent 5.
        conn.execute(
            "UPDATE procrastinate_events SET at = at - interval '200 seconds'"
            " WHERE job_id = %s AND type = 'deferred'",
            (old,),
        )
    connector = await _connector(database_url)
    try:
        worker = _worker_id(database_url)
        claimed = await claim(
            connector, worker_id=worker, include=None, exclude=None, ageing_seconds=30, limit=10
        )
    finally:
        await connector.close_async()
    # One job per lock, even when claimed one by one within the statement.
    assert [job.id for job in claimed] == [old, urgent, fresh, locked]
    status = "SELECT status::text FROM procrastinate_jobs WHERE id = %s"
    assert scalar(database_url, status, locked_next) == "todo"
