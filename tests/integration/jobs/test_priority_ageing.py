"""Priority ageing: a job that has waited long enough overtakes fresher, more urgent ones."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.db import query
from tests.support.processes import run_cli, running_worker, wait_for


def start_order(url: str, ids: list[int]) -> list[int]:
    rows = query(
        url,
        """SELECT j.id FROM procrastinate_jobs j
             JOIN procrastinate_events e ON e.job_id = j.id AND e.type = 'started'
            WHERE j.id = ANY(%s) ORDER BY e.at, e.id""",
        ids,
    )
    return [r[0] for r in rows]


def defer(message: str, priority: int) -> int:
    args = json.dumps({"message": message})
    return int(run_cli("defer", "ping", "--priority", str(priority), "--args", args).out)


def backdate(url: str, job_id: int, seconds: int) -> None:
    query(
        url,
        "UPDATE procrastinate_events SET at = at - make_interval(secs => %s)"
        " WHERE job_id = %s AND type = 'deferred' RETURNING id",
        seconds,
        job_id,
    )


@pytest.mark.parametrize(("ageing", "old_first"), [("30", True), ("0", False)])
def test_an_old_low_priority_job_overtakes_urgent_ones(
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    ageing: str,
    old_first: bool,
) -> None:
    monkeypatch.setenv("PA_PRIORITY_AGEING_SECONDS", ageing)
    old = defer("old", 0)
    # Waiting 200 s at 30 s per level: counts as priority 6, above the fresh 5s and 4.
    backdate(database_url, old, 200)
    urgent = [defer(f"urgent{i}", 5) for i in range(3)] + [defer("fresh", 4)]
    somewhat_old = defer("somewhat old", 0)
    backdate(database_url, somewhat_old, 65)  # counts as 2: still below the urgent ones

    with running_worker(tmp_path, "--queues", "maintenance_tasks", "--concurrency", "1"):
        everything = [old, *urgent, somewhat_old]
        wait_for(lambda: len(start_order(database_url, everything)) == 6, 30, "all jobs")
    order = start_order(database_url, everything)
    if old_first:
        assert order == [old, *urgent[:3], urgent[3], somewhat_old], order
    else:  # no ageing: procrastinate's order (priority, then id)
        assert order == [*urgent[:3], urgent[3], old, somewhat_old], order
