"""``pa-tasks history`` after a mix of runs: job attempts, schedule fires, an AI run."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from personal_assistant.db.session import dispose_engine, session_scope
from personal_assistant.jobs.enqueue import defer
from personal_assistant.schedules.tasks import dispatch_schedules
from tests.support.db import scalar, table_counts
from tests.support.processes import WorkerProcess, run_cli, wait_for
from tests.support.refusal import assert_refused

pytestmark = pytest.mark.slow


def _done(url: str, jobs: list[int]) -> bool:
    finished = scalar(
        url,
        "SELECT count(*) FROM procrastinate_jobs WHERE id = ANY(%s)"
        " AND status IN ('succeeded', 'failed')",
        jobs,
    )
    fired = scalar(
        url,
        "SELECT count(*) FROM schedule_fires f JOIN procrastinate_jobs j ON j.id = f.job_id"
        " WHERE j.status = 'succeeded'",
    )
    runs = scalar(url, "SELECT count(*) FROM ai_task_runs WHERE status = 'succeeded'")
    return finished == len(jobs) and fired >= 2 and runs == 1


async def test_history_answers_what_ran_when_and_how_it_ended(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PA_COMMAND_ALLOWLIST", "false")
    ping = int(run_cli("defer", "ping", "--args", '{"message": "hi"}').out)
    failing = int(run_cli("defer", "run_command", "--args", '{"argv": ["false"]}').out)
    assert run_cli("schedule", "add", "often", "ping", "every 2 seconds").code == 0
    created = run_cli(
        "ai",
        "create",
        "--title",
        "Stretch",
        "--instructions",
        "Stand up",
        "--schedule",
        "every day at 9",
        "--json",
    )
    ai_task = created.json()["id"]
    assert run_cli("ai", "run-now", str(ai_task)).code == 0
    async with session_scope() as session:
        await defer(session, dispatch_schedules, {"timestamp": int(datetime.now(UTC).timestamp())})
    await dispose_engine()
    worker = WorkerProcess(
        ["--queues", "maintenance_tasks,ai_tasks,email_tasks", "--name", "h"],
        tmp_path / "worker.log",
    )
    try:
        wait_for(lambda: _done(database_url, [ping, failing]), 60, "the mix of runs")
        assert run_cli("schedule", "pause", "often").code == 0
    finally:
        worker.terminate()

    everything = run_cli("history", "--json")
    assert everything.code == 0, everything.err
    entries = everything.json()
    times = [e["at"] for e in entries]
    assert times == sorted(times, reverse=True), "newest first"
    by_job = {(e["kind"], e["job_id"]): e for e in entries}
    assert by_job[("job", ping)]["outcome"] == "succeeded"
    assert by_job[("job", ping)]["task"] == "maintenance:ping"
    assert by_job[("job", failing)]["outcome"] == "failed"
    assert by_job[("job", failing)]["duration_s"] >= 0
    fires = [e for e in entries if e["kind"] == "schedule"]
    assert len(fires) >= 2 and {f["schedule"] for f in fires} == {"often"}
    assert {f["outcome"] for f in fires} <= {"succeeded", "cancelled"}
    [ai_run] = [e for e in entries if e["kind"] == "ai_run"]
    assert (ai_run["ai_task_id"], ai_run["outcome"]) == (ai_task, "succeeded")
    assert ai_run["duration_s"] is not None

    failed = run_cli("history", "--status", "failed", "--json").json()
    assert [(e["kind"], e["job_id"]) for e in failed] == [("job", failing)]
    only_ping = run_cli("history", "--task", "ping", "--json").json()
    assert {e["task"] for e in only_ping} == {"maintenance:ping"}
    assert {e["kind"] for e in only_ping} == {"job", "schedule"}
    scheduled = run_cli("history", "--schedule", "often", "--json").json()
    fired_jobs = {f["job_id"] for f in fires}
    assert {e["job_id"] for e in scheduled if e["kind"] == "job"} <= fired_jobs
    assert ping not in {e["job_id"] for e in scheduled}
    ai_only = run_cli("history", "--ai-task", str(ai_task), "--json").json()
    assert {e["kind"] for e in ai_only} == {"ai_run", "job"}
    assert run_cli("history", "--since", "2099-01-01T00:00Z", "--json").json() == []
    table = run_cli("history", "--limit", "3")
    assert table.code == 0 and "History" in table.out


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["history", "--status", "exploded"], "unknown status 'exploded'"),
        (["history", "--since", "last tuesday-ish"], "--since: 'last tuesday-ish'"),
        (["history", "--task", "nope"], "unknown task 'nope'"),
        (["history", "--limit", "0"], "limit must be from 1 to 10000"),
    ],
)
def test_bad_filters_are_refused(database_url: str, args: list[str], expected: str) -> None:
    assert_refused(database_url, args, expected)
    assert table_counts(database_url)
