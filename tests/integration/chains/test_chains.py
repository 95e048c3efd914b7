"""Sequences: `pa-tasks defer A --then B --then C` runs A, B, C one after another."""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path

import pytest
from sqlalchemy import text

from personal_assistant.chains.progress import reconcile_chains, record_success
from personal_assistant.chains.service import start_chain
from personal_assistant.db.session import dispose_engine, session_scope
from personal_assistant.jobs.control import cancel_job
from personal_assistant.jobs.tasks import ping
from tests.support.db import job_events, query, scalar
from tests.support.processes import run_cli, running_worker, wait_for
from tests.support.refusal import assert_refused_in_process

CHAIN_STATUS = "SELECT status FROM job_chains WHERE id = %s"
STEPS = "SELECT step, job_id, status FROM job_chain_steps WHERE chain_id = %s ORDER BY step"
EVENT_AT = "SELECT min(at) FROM procrastinate_events WHERE job_id = %s AND type = %s"


def defer_chain(*args: str) -> int:
    result = run_cli("defer", *args, "--json")
    assert result.code == 0, result.err
    chain_id: int = result.json()["chain_id"]
    return chain_id


def test_a_chain_of_three_runs_in_order(database_url: str, tmp_path: Path) -> None:
    chain_id = defer_chain(
        "ping", "--args", '{"message": "one"}',
        "--then", "ping", "--then-args", '{"message": "two"}',
        "--then", "maintenance:ping", "--then-args", '{"message": "three"}',
    )  # fmt: skip
    assert [row[2] for row in query(database_url, STEPS, chain_id)] == ["running"]

    with running_worker(tmp_path, "--queues", "maintenance_tasks"):
        wait_for(
            lambda: scalar(database_url, CHAIN_STATUS, chain_id) == "succeeded", 30, "the chain"
        )

    steps = query(database_url, STEPS, chain_id)
    assert [(step, status) for step, _, status in steps] == [
        (0, "succeeded"),
        (1, "succeeded"),
        (2, "succeeded"),
    ]
    jobs = [job_id for _, job_id, _ in steps]
    messages = query(
        database_url, "SELECT job_id, message FROM ping_records ORDER BY recorded_at, id"
    )
    assert messages == list(zip(jobs, ["one", "two", "three"], strict=True))
    for before, after in itertools.pairwise(jobs):
        # Each step exists only once its predecessor ran.
        assert scalar(database_url, EVENT_AT, after, "deferred") > scalar(
            database_url, EVENT_AT, before, "started"
        )
        assert job_events(database_url, before)[-1] == "succeeded"
    shown = run_cli("chains", "show", str(chain_id), "--json")
    assert shown.code == 0, shown.err
    assert [s["job_id"] for s in shown.json()["steps"]] == jobs


def test_a_failing_step_stops_the_chain(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PA_COMMAND_ALLOWLIST", "false")
    monkeypatch.setenv("PA_ALERT_USER_ID", "me")
    monkeypatch.setenv("PA_ALERT_CHANNEL", "log")
    chain_id = defer_chain(
        "ping", "--args", '{"message": "first"}',
        "--then", "run_command", "--then-args", '{"argv": ["false"]}',
        "--then", "ping", "--then-args", '{"message": "never"}',
    )  # fmt: skip

    with running_worker(tmp_path, "--queues", "maintenance_tasks") as worker:
        wait_for(lambda: scalar(database_url, CHAIN_STATUS, chain_id) == "failed", 30, "failure")
        worker.wait_for_log('"action": "chain_failed"')

    steps = query(database_url, STEPS, chain_id)
    assert [(step, status) for step, _, status in steps] == [(0, "succeeded"), (1, "failed")]
    error = scalar(database_url, "SELECT error FROM job_chains WHERE id = %s", chain_id)
    assert error == (
        f"step 2/3 (general:run_command, job {steps[1][1]}) failed: false exited with status 1"
    )
    assert [m for (m,) in query(database_url, "SELECT message FROM ping_records")] == ["first"]
    notified = query(
        database_url,
        "SELECT user_id, channel, body FROM notifications WHERE source = %s",
        f"chain:{chain_id}",
    )
    assert notified == [("me", "log", error)]
    listed = run_cli("chains", "list", "--status", "failed", "--json")
    assert [(c["id"], c["error"]) for c in listed.json()] == [(chain_id, error)]


BAD_INPUT = {
    "unknown next task": (["--then", "no_such_task"], "unknown task 'no_such_task'"),
    "next args wrong field": (
        ["--then", "ping", "--then-args", '{"nope": 1}'],
        "invalid args for maintenance:ping: nope",
    ),
    "args before their step": (
        ["--then-args", "{}", "--then", "ping"],
        "each --then-args follows its --then",
    ),
    "two args for one step": (
        ["--then", "ping", "--then-args", "{}", "--then-args", "{}", "--then", "ping"],
        "each --then-args follows its --then",
    ),
    "program not allowed in a step": (
        ["--then", "run_command", "--then-args", '{"argv": ["rm", "-rf", "/"]}'],
        "program 'rm' is not on PA_COMMAND_ALLOWLIST",
    ),
    "single-job option": (["--then", "ping", "--queue", "email_tasks"], "apply to a single job"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUT))
def test_bad_chain_input_is_one_line_exit_2_nothing_written(
    database_url: str, case: str, capsys: pytest.CaptureFixture[str]
) -> None:
    extra, expected = BAD_INPUT[case]
    argv = ["defer", "ping", "--args", '{"message": "a"}', *extra]
    assert_refused_in_process(database_url, argv, expected, capsys)


async def _two_pings() -> tuple[int, int]:
    async with session_scope() as session:
        started = await start_chain(session, [(ping, {"message": "a"}), (ping, {"message": "b"})])
    return started.chain_id, started.first_job_id


async def _record(job_id: int) -> None:
    async with session_scope() as session:
        await record_success(session, job_id)


async def test_a_step_recorded_twice_defers_its_successor_once(database_url: str) -> None:
    # What a rescued predecessor does when its worker died after the chain advanced.
    chain_id, first_job = await _two_pings()
    await asyncio.gather(_record(first_job), _record(first_job))
    await _record(first_job)

    steps = query(database_url, STEPS, chain_id)
    assert [(step, status) for step, _, status in steps] == [(0, "succeeded"), (1, "running")]
    assert scalar(database_url, "SELECT count(*) FROM procrastinate_jobs") == 2
    await dispose_engine()


async def test_reconcile_settles_jobs_that_ended_out_of_sight(database_url: str) -> None:
    cancelled_chain, cancelled_job = await _two_pings()
    advanced_chain, succeeded_job = await _two_pings()
    async with session_scope() as session:
        await cancel_job(session, cancelled_job)
        await session.execute(
            text("UPDATE procrastinate_jobs SET status = 'doing' WHERE id = :id"),
            {"id": succeeded_job},
        )
        await session.execute(
            text("SELECT procrastinate_finish_job_v1(:id, 'succeeded', false)"),
            {"id": succeeded_job},
        )
    async with session_scope() as session:
        report = await reconcile_chains(session)
    assert report.as_json() == {"advanced": [succeeded_job], "failed": [cancelled_job]}
    assert scalar(database_url, CHAIN_STATUS, cancelled_chain) == "failed"
    assert scalar(database_url, "SELECT error FROM job_chains WHERE id = %s", cancelled_chain) == (
        f"step 1/2 (maintenance:ping, job {cancelled_job}) failed: its job ended cancelled"
    )
    assert [s for _, _, s in query(database_url, STEPS, advanced_chain)] == [
        "succeeded",
        "running",
    ]
    async with session_scope() as session:
        assert (await reconcile_chains(session)).as_json() == {"advanced": [], "failed": []}
    await dispose_engine()
