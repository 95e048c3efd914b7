"""A job and the business write that caused it commit together or not at all."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from personal_assistant.db.session import dispose_engine, session_scope
from personal_assistant.jobs.enqueue import AlreadyQueued, JobOptions, defer
from personal_assistant.jobs.tasks import PingPayload, ping
from tests.support.db import scalar


class Boom(Exception):
    pass


async def test_rollback_leaves_no_job(database_url: str) -> None:
    with pytest.raises(Boom):
        async with session_scope() as session:
            await session.execute(
                text("INSERT INTO ping_records (job_id, message) VALUES (-1, 'biz')")
            )
            await defer(session, ping, PingPayload(message="x"))
            raise Boom
    await dispose_engine()
    assert scalar(database_url, "SELECT count(*) FROM procrastinate_jobs") == 0
    assert scalar(database_url, "SELECT count(*) FROM ping_records") == 0


async def test_commit_leaves_exactly_one_job(database_url: str) -> None:
    async with session_scope() as session:
        await session.execute(text("INSERT INTO ping_records (job_id, message) VALUES (-1, 'biz')"))
        job_id = await defer(session, ping, {"message": "x"})
    await dispose_engine()
    assert scalar(database_url, "SELECT count(*) FROM procrastinate_jobs") == 1
    assert scalar(database_url, "SELECT id FROM procrastinate_jobs") == job_id
    assert scalar(database_url, "SELECT count(*) FROM ping_records") == 1


async def test_queueing_lock_conflict_keeps_the_transaction_usable(database_url: str) -> None:
    async with session_scope() as session:
        await defer(session, ping, {}, JobOptions(queueing_lock="only-one"))
        with pytest.raises(AlreadyQueued):
            await defer(session, ping, {}, JobOptions(queueing_lock="only-one"))
        await session.execute(text("INSERT INTO ping_records (job_id, message) VALUES (-2, 'ok')"))
    await dispose_engine()
    assert scalar(database_url, "SELECT count(*) FROM procrastinate_jobs") == 1
    assert scalar(database_url, "SELECT count(*) FROM ping_records") == 1
