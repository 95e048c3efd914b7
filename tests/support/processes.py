"""Run the real ``pa-tasks`` command and real worker processes from tests."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PA_TASKS = [sys.executable, "-m", "personal_assistant.cli.main"]


@dataclass
class CliResult:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> CliResult:
    done = subprocess.run(
        [*PA_TASKS, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )
    return CliResult(done.returncode, done.stdout, done.stderr)


class WorkerProcess:
    """A ``pa-tasks worker`` subprocess whose log goes to a file."""

    def __init__(self, args: list[str], log_path: Path, env: dict[str, str] | None = None) -> None:
        self.log_path = log_path
        self._log = log_path.open("wb")
        self.process = subprocess.Popen(
            [*PA_TASKS, "worker", *args],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for_log(self, needle: str, timeout: float = 30) -> None:
        wait_for(lambda: needle in self.log(), timeout, f"{needle!r} in worker log")

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def terminate(self, timeout: float = 30) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self._log.close()
        return self.process.returncode


def wait_for(
    condition: Callable[[], Any], timeout: float = 30, what: str = "condition", every: float = 0.1
) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(every)


@contextmanager
def running_worker(tmp_path: Path, *args: str, name: str = "w1") -> Iterator[WorkerProcess]:
    worker = WorkerProcess([*args, "--name", name], tmp_path / f"{name}.log")
    try:
        worker.wait_for_log('"action": "worker_start"')
        yield worker
    finally:
        worker.terminate()
