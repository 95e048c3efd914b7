"""Every durability test runs against both worker modes: batched claims and successes
(the default), and procrastinate's one fetch and one finish per job."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True, params=["batched", "per-job"])
def worker_mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    mode: str = request.param
    monkeypatch.setenv("PA_WORKER_BATCHING", "true" if mode == "batched" else "false")
    return mode
