"""A worker killed (SIGKILL) during an AI task run: the run is rescued and completes once,
and the task goes on to its next time."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from tests.support.db import job_events, query, scalar
from tests.support.loopback import ChatServer
from tests.support.processes import WorkerProcess, run_cli, running_worker, wait_for


def test_run_killed_mid_way_is_rescued_and_recorded_once(
    database_url: str, llm: ChatServer, tmp_path: Path
) -> None:
    llm.hold("Think slowly")  # the first request never gets its answer
    created = run_cli(
        "ai", "create", "--json",
        "--title", "Slow", "--instructions", "Think slowly", "--schedule", "every 4 seconds",
    )  # fmt: skip
    assert created.code == 0, created.err
    task = created.json()
    first = datetime.fromisoformat(task["next_run_at"])
    job_id = task["pending_job_id"]

    victim = WorkerProcess(["--queues", "ai_tasks", "--name", "victim"], tmp_path / "v.log")
    try:
        wait_for(lambda: llm.requests_for("Think slowly"), 30, "the run to reach the LLM")
        assert scalar(database_url, "SELECT status FROM ai_task_runs") == "running"
        victim.kill()
    finally:
        victim.terminate()

    def rescued() -> bool:
        out = run_cli("jobs", "rescue", "--json")
        assert out.code == 0, out.err
        return job_id in out.json()["requeued"]

    wait_for(rescued, 30, "the rescue to requeue the run's job", every=1)

    with running_worker(tmp_path, "--queues", "ai_tasks,email_tasks", name="survivor"):
        wait_for(
            lambda: (
                scalar(
                    database_url,
                    "SELECT status::text FROM procrastinate_jobs WHERE id = %s",
                    job_id,
                )
                == "succeeded"
            ),
            30,
            "the rescued run to finish",
        )
        wait_for(
            lambda: scalar(
                database_url,
                "SELECT count(*) FROM ai_task_runs WHERE status = 'succeeded' AND scheduled_for > %s",
                first,
            ),
            30,
            "the task's next run",
        )

    [(status, run_job, output)] = query(
        database_url,
        "SELECT status, job_id, output FROM ai_task_runs WHERE scheduled_for = %s",
        first,
    )
    assert (status, run_job, output) == ("succeeded", job_id, "done")
    timeline = [e for e in job_events(database_url, job_id) if e != "scheduled"]
    assert timeline == ["deferred", "started", "deferred_for_retry", "started", "succeeded"]
    # One notification per finished run: the killed attempt left nothing behind.
    runs = scalar(database_url, "SELECT count(*) FROM ai_task_runs WHERE finished_at IS NOT NULL")
    assert scalar(database_url, "SELECT count(*) FROM notifications") == runs
    assert scalar(database_url, "SELECT next_run_at FROM ai_tasks") > first
