"""Every registered task, deferred with a valid sample payload, ends as documented on a
real worker logging at INFO.

This is the test that would have caught a log call breaking a task only when INFO is on
(the weekly backup). The samples live in ``tests/support/task_samples.py``; a task added
without one fails here.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.support.db import query
from tests.support.processes import WorkerProcess, wait_for
from tests.support.reset import reset_process_caches
from tests.support.task_samples import SAMPLES, sample_environment

FINAL = ("succeeded", "failed", "aborted", "cancelled")


def _registered() -> dict[str, Any]:
    from personal_assistant.workers.app import app

    # Aliases (procrastinate's builtin task has two names) are one task.
    return {task.name: task for task in app.tasks.values()}


async def _defer_all(tasks: dict[str, Any]) -> dict[str, int]:
    from personal_assistant.db.session import dispose_engine, session_scope
    from personal_assistant.jobs.enqueue import defer

    ids: dict[str, int] = {}
    try:
        async with session_scope() as session:
            for name, task in tasks.items():
                ids[name] = await defer(session, task, SAMPLES[name].args)
    finally:
        await dispose_engine()
    return ids


def test_every_registered_task_has_a_sample() -> None:
    registered = set(_registered())
    missing = sorted(registered - set(SAMPLES))
    assert not missing, f"tasks without a sample in tests/support/task_samples.py: {missing}"
    stale = sorted(set(SAMPLES) - registered)
    assert not stale, f"samples for tasks that are not registered: {stale}"


def test_every_task_ends_as_documented_on_an_info_worker(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = sample_environment(tmp_path)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    for entry in reversed(env["PYTHONPATH"].split(os.pathsep)):
        monkeypatch.syspath_prepend(entry)
    reset_process_caches()
    tasks = _registered()
    assert set(tasks) <= set(SAMPLES), "see test_every_registered_task_has_a_sample"
    ids = asyncio.run(_defer_all(tasks))

    # One worker runs them all at once, so the test takes as long as the slowest task.
    worker = WorkerProcess(
        ["--concurrency", str(len(ids) + 2), "--name", "every"], tmp_path / "w.log"
    )
    try:
        statuses = wait_for(
            lambda: _statuses_if_final(database_url, ids), 120, "every sample job to finish"
        )
    finally:
        worker.terminate()
    log = worker.log()

    # A log call that raises inside logging prints this instead of its line.
    assert "--- Logging error ---" not in log
    assert "Attempt to overwrite" not in log
    errors = _errors(database_url)
    results = _results(database_url)
    wrong = []
    for name, job_id in ids.items():
        sample = SAMPLES[name]
        got = statuses[job_id]
        if got != sample.outcome:
            wrong.append(f"{name}: {got}, expected {sample.outcome}; errors {errors.get(job_id)}")
            continue
        if sample.outcome == "failed":
            error_type, message = errors[job_id][-1]
            if error_type != sample.error_type or sample.error not in message:
                wrong.append(f"{name}: failed with {error_type}: {message}")
        else:
            assert job_id not in errors, f"{name} succeeded but recorded {errors[job_id]}"
            result = results.get(job_id) or {}
            for key, value in sample.result.items():
                if result.get(key) != value:
                    wrong.append(f"{name}: result {result}, expected {key}={value!r}")
    assert not wrong, "\n".join(wrong)
    # Every job logged its outcome as one INFO/WARNING line with its fields.
    logged = {
        entry.get("job_id")
        for entry in map(_json_or_none, log.splitlines())
        if entry and str(entry.get("action", "")).startswith("job_")
    }
    assert set(ids.values()) <= logged


def _statuses_if_final(url: str, ids: dict[str, int]) -> dict[int, str] | None:
    rows = dict(
        query(
            url,
            "SELECT id, status::text FROM procrastinate_jobs WHERE id = ANY(%s)",
            list(ids.values()),
        )
    )
    return rows if all(rows.get(i) in FINAL for i in ids.values()) else None


def _errors(url: str) -> dict[int, list[tuple[str, str]]]:
    errors: dict[int, list[tuple[str, str]]] = {}
    for job_id, error_type, message in query(
        url, "SELECT job_id, error_type, message FROM job_errors ORDER BY job_id, attempt"
    ):
        errors.setdefault(job_id, []).append((error_type, message))
    return errors


def _results(url: str) -> dict[int, Any]:
    return dict(query(url, "SELECT job_id, result FROM job_results"))


def _json_or_none(line: str) -> dict[str, Any] | None:
    try:
        value = json.loads(line)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
