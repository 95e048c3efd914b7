"""A real browser (Debian's Chromium, driven by Playwright) against ``pa-tasks web``.

Playwright never downloads a browser here: it is pointed at the system's headless
Chromium. Without one the browser tests skip, with the reason; under CI (``CI=true``)
they must run, so a missing browser fails them instead.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.processes import PA_TASKS, wait_for

CANDIDATES = (
    os.environ.get("PA_CHROMIUM", ""),
    "/usr/lib/chromium/chromium-headless-shell",
    "/usr/bin/chromium-headless-shell",
    "/usr/lib/chromium/chromium",
    "/usr/bin/chromium",
)


def chromium_path() -> str | None:
    for candidate in CANDIDATES:
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return shutil.which("chromium-headless-shell")


# One browser per test: Playwright's sync API keeps an event loop running in this thread
# while it is open, and a later test's ``asyncio.run`` would fail on it.
@pytest.fixture
def browser() -> Iterator[Any]:
    executable = chromium_path()
    if executable is None:
        reason = (
            "no Chromium: install it with `apt-get install chromium chromium-headless-shell` "
            "(ops/test does it when run as root), or set PA_CHROMIUM"
        )
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"browser tests must run in CI: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import expect, sync_playwright

    # Assertions wait as long as page actions do: a loaded machine is slow, not wrong.
    expect.set_options(timeout=15_000)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable)
        try:
            yield launched
        finally:
            launched.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Dashboard:
    url: str
    process: subprocess.Popen[bytes]
    log: Path
    handle: Any

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.handle.close()


def start_dashboard(tmp_path: Path, env: dict[str, str] | None = None) -> Dashboard:
    port = free_port()
    log = tmp_path / f"web-{port}.log"
    handle = log.open("wb")
    process = subprocess.Popen(
        [*PA_TASKS, "web", "--port", str(port)],
        stdout=handle,
        stderr=subprocess.STDOUT,
        env={**os.environ, **(env or {})},
    )
    dashboard = Dashboard(f"http://127.0.0.1:{port}", process, log, handle)

    def answering() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"pa-tasks web exited: {log.read_text()}")
        with socket.socket() as sock:
            return sock.connect_ex(("127.0.0.1", port)) == 0

    wait_for(answering, 30, "the dashboard to listen")
    return dashboard


@pytest.fixture
def dashboard(database_url: str, tmp_path: Path) -> Iterator[Dashboard]:
    found = start_dashboard(tmp_path)
    try:
        yield found
    finally:
        found.stop()


def screenshot(page: Any, name: str) -> None:
    """With PA_SCREENSHOT_DIR set, keep a picture of the page (docs/screenshots)."""
    folder = os.environ.get("PA_SCREENSHOT_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=False)
