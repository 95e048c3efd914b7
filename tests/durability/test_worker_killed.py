"""A worker killed with SIGKILL mid-job loses nothing, and the job runs once more."""

from __future__ import annotations

from pathlib import Path

from tests.support.db import job_events, job_status, query, scalar
from tests.support.processes import WorkerProcess, run_cli, running_worker, wait_for


def test_sigkill_mid_job_is_rescued_and_runs_exactly_once_more(
    database_url: str, tmp_path: Path
) -> None:
    slow = int(run_cli("defer", "ping", "--args", '{"message": "slow", "delay_seconds": 3}').out)
    others = [
        int(run_cli("defer", "ping", "--args", f'{{"message": "n{i}"}}').out) for i in range(3)
    ]

    victim = WorkerProcess(
        ["--queues", "maintenance_tasks", "--name", "victim"], tmp_path / "v.log"
    )
    try:
        wait_for(lambda: job_status(database_url, slow) == "doing", 30, "slow job to start")
        victim.kill()
    finally:
        victim.terminate()
    assert job_status(database_url, slow) == "doing"

    # The dead worker's heartbeat goes stale (PA_STALLED_AFTER_SECONDS=3 in tests).
    def rescued() -> bool:
        out = run_cli("jobs", "rescue", "--json")
        assert out.code == 0, out.err
        return slow in out.json()["requeued"]

    wait_for(rescued, 30, "the rescue to requeue the job", every=1)
    assert job_status(database_url, slow) == "todo"
    assert not run_cli("jobs", "rescue", "--json").json()["requeued"], "rescued twice"

    with running_worker(tmp_path, "--queues", "maintenance_tasks", name="survivor"):
        for job_id in [slow, *others]:
            wait_for(
                lambda j=job_id: job_status(database_url, j) == "succeeded", 30, f"job {job_id}"
            )

    timeline = [e for e in job_events(database_url, slow) if e != "scheduled"]
    assert timeline == [
        "deferred",
        "started",
        "deferred_for_retry",
        "started",
        "succeeded",
    ]
    assert scalar(database_url, "SELECT count(*) FROM ping_records WHERE job_id = %s", slow) == 1
    statuses = query(
        database_url,
        "SELECT status::text, count(*) FROM procrastinate_jobs"
        " WHERE task_name = 'maintenance:ping' GROUP BY 1",
    )
    assert statuses == [("succeeded", 4)]
