"""run_command and call_plugin on a real worker, with a real entry-point distribution."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest

from personal_assistant.cli.runtime import in_session
from personal_assistant.errors import BadInput
from personal_assistant.general.tasks import call_plugin_task, run_command_task
from personal_assistant.jobs.enqueue import defer
from tests.support.db import job_status, scalar, table_counts
from tests.support.processes import WorkerProcess, run_cli, wait_for
from tests.support.reset import reset_process_caches

PLUGIN_MODULE = """
import asyncio


def greet(name, punctuation="!"):
    return {"greeting": f"Hello, {name}{punctuation}"}


async def add(a, b):
    await asyncio.sleep(0)
    return a + b
"""
ENTRY_POINTS = """
[personal_assistant.plugins]
greet = pa_test_plugins:greet
add = pa_test_plugins:add
"""


def result_of(url: str, job_id: int) -> Any:
    return scalar(url, "SELECT result FROM job_results WHERE job_id = %s", job_id)


def finished(url: str, job_id: int) -> bool:
    return job_status(url, job_id) in ("succeeded", "failed")


def defer_job(task: Any, args: dict[str, Any]) -> int:
    return in_session(lambda s: defer(s, task, args))


def worker(tmp_path: Path, env: dict[str, str]) -> WorkerProcess:
    process = WorkerProcess(
        ["--queues", "maintenance_tasks", "--name", "general"], tmp_path / "w.log", env=env
    )
    process.wait_for_log('"action": "worker_start"')
    return process


def test_run_command_runs_allowed_programs_only(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    worker_allows = f"{sys.executable},sleep,false"
    # This process may defer `touch`; the worker does not allow it and must not run it.
    monkeypatch.setenv("PA_COMMAND_ALLOWLIST", worker_allows + ",touch")
    monkeypatch.setenv("PA_COMMAND_ALLOW_INTERPRETERS", "true")  # python prints the output
    reset_process_caches()
    marker = tmp_path / "touched"
    noisy = "import sys; print('x' * 5000); print('the end', file=sys.stderr)"
    ok = defer_job(run_command_task, {"argv": [sys.executable, "-c", noisy]})
    slow = defer_job(run_command_task, {"argv": ["sleep", "30"], "timeout_seconds": 1})
    failing = defer_job(run_command_task, {"argv": ["false"]})
    refused = defer_job(run_command_task, {"argv": ["touch", str(marker)]})

    running = worker(
        tmp_path,
        {
            "PA_COMMAND_ALLOWLIST": worker_allows,
            "PA_COMMAND_OUTPUT_MAX_BYTES": "100",
            "PA_COMMAND_ALLOW_INTERPRETERS": "true",
        },
    )
    try:
        for job_id in (ok, slow, failing, refused):
            wait_for(lambda j=job_id: finished(database_url, j), 20, f"job {job_id} to end")
    finally:
        running.terminate()

    assert [job_status(database_url, j) for j in (ok, slow, failing, refused)] == [
        "succeeded",
        "failed",
        "failed",
        "failed",
    ]
    result = result_of(database_url, ok)
    assert result["exit_code"] == 0
    assert result["stdout"] == "x" * 99 + "\n"  # the last 100 bytes
    assert (result["stdout_bytes"], result["truncated"]) == (5001, True)
    assert result["stderr"] == "the end\n"
    assert not marker.exists()
    log = running.log()
    assert "sleep ran past its 1 s timeout and was killed" in log
    assert "false exited with status 1" in log
    assert "program 'touch' is not on PA_COMMAND_ALLOWLIST" in log


def test_the_worker_keeps_its_secrets_from_commands(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PA_COMMAND_ALLOWLIST", "printenv,sh")
    reset_process_caches()
    job_id = defer_job(run_command_task, {"argv": ["printenv"]})
    refused = run_cli("defer", "run_command", "--args", '{"argv": ["sh", "-c", "id"]}')
    assert refused.code == 2 and "runs any code it is given" in refused.err

    running = worker(
        tmp_path,
        {
            "PA_COMMAND_ALLOWLIST": "printenv,sh",
            "PA_SMTP_PASSWORD": "smtp-secret",
            "PA_LLM_API_KEY": "llm-secret",
            "PA_NOTIFY_WEBHOOK_SECRET": "hook-secret",
        },
    )
    try:
        wait_for(lambda: finished(database_url, job_id), 20, "the printenv job")
    finally:
        running.terminate()
    stdout = result_of(database_url, job_id)["stdout"]
    assert {line.split("=", 1)[0] for line in stdout.splitlines()} <= {"PATH", "HOME", "LANG", "TZ"}
    assert "secret" not in stdout and "DATABASE_URL" not in stdout and "pa_test_" not in stdout


def test_a_program_not_allowed_is_refused_at_defer_time(database_url: str) -> None:
    before = table_counts(database_url)
    result = run_cli("defer", "run_command", "--args", '{"argv": ["rm", "-rf", "/"]}')
    assert result.code == 2, (result.out, result.err)
    assert result.err.strip().splitlines() == [
        "error: invalid args for general:run_command: argv: Value error, program 'rm' is not "
        "on PA_COMMAND_ALLOWLIST, which allows nothing (it is empty)"
    ]
    assert table_counts(database_url) == before


def test_call_plugin_calls_registered_entry_points(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    (site / "pa_test_plugins-1.0.dist-info").mkdir(parents=True)
    (site / "pa_test_plugins.py").write_text(PLUGIN_MODULE)
    (site / "pa_test_plugins-1.0.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: pa-test-plugins\nVersion: 1.0\n"
    )
    (site / "pa_test_plugins-1.0.dist-info" / "entry_points.txt").write_text(ENTRY_POINTS)
    path = os.pathsep.join(p for p in (str(site), os.environ.get("PYTHONPATH")) if p)
    monkeypatch.syspath_prepend(str(site))  # the deferring process sees the plugins too

    sync_call = defer_job(call_plugin_task, {"plugin": "greet", "kwargs": {"name": "Ada"}})
    async_call = defer_job(call_plugin_task, {"plugin": "add", "kwargs": {"a": 2, "b": 3}})
    wrong_args = defer_job(call_plugin_task, {"plugin": "greet", "kwargs": {"nom": "Ada"}})
    before = table_counts(database_url)
    with pytest.raises(BadInput, match="no plugin 'nope' in entry-point group") as refused:
        defer_job(call_plugin_task, {"plugin": "nope"})
    assert "installed plugins: add, greet" in str(refused.value)
    assert table_counts(database_url) == before

    running = worker(tmp_path, {"PYTHONPATH": path})
    try:
        for job_id in (sync_call, async_call, wrong_args):
            wait_for(lambda j=job_id: finished(database_url, j), 20, f"job {job_id} to end")
    finally:
        running.terminate()

    assert result_of(database_url, sync_call) == {
        "plugin": "greet",
        "result": {"greeting": "Hello, Ada!"},
    }
    assert result_of(database_url, async_call) == {"plugin": "add", "result": 5}
    assert job_status(database_url, wrong_args) == "failed"
    log = running.log()
    assert "plugin 'greet' does not accept these arguments" in log
