"""Whether this process's workers can do their job right now: the /readyz checks.

A worker is ready when, within ``PA_MONITORING_TIMEOUT_SECONDS`` each:

* the database answers ``SELECT 1`` on a fresh connection;
* its ``procrastinate_workers`` row exists and its heartbeat is younger than
  ``PA_STALLED_AFTER_SECONDS`` (older, and other workers' rescue treats it as dead);
* its LISTEN connection works: a notification sent now on one of the channels it
  listens to comes back through its listener. This round trip is the only honest test:
  a LISTEN connection can look open yet receive nothing after a server restart. The
  probe is a notification of type ``pa_listen_probe``, which procrastinate's workers
  ignore; other workers on the same queue receive it too, harmlessly.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Mapping
from typing import Any

import psycopg
from procrastinate.manager import get_channel_for_queues
from procrastinate.worker import Worker

from personal_assistant.db.url import database_url
from personal_assistant.settings import get_settings

PROBE_TYPE = "pa_listen_probe"

WORKER_AGE = """
SELECT EXTRACT(EPOCH FROM now() - last_heartbeat)::float8
  FROM procrastinate_workers WHERE id = %s
"""


class ListenProbe:
    """Notifications sent by /readyz, waiting to arrive through a worker's listener."""

    def __init__(self) -> None:
        self._waiting: dict[str, asyncio.Future[None]] = {}

    def observe(self, notification: Mapping[str, Any]) -> None:
        """Called for every notification a worker receives; completes a matching probe."""
        if notification.get("type") != PROBE_TYPE:
            return
        future = self._waiting.get(str(notification.get("token")))
        if future is not None and not future.done():
            future.set_result(None)

    async def round_trip(
        self, conn: psycopg.AsyncConnection[Any], channel: str, wait_seconds: float
    ) -> bool:
        token = uuid.uuid4().hex
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting[token] = future
        try:
            payload = json.dumps({"type": PROBE_TYPE, "token": token})
            await conn.execute("SELECT pg_notify(%s, %s)", (channel, payload))
            await asyncio.wait_for(future, wait_seconds)
            return True
        except TimeoutError:
            return False
        finally:
            del self._waiting[token]


listen_probe = ListenProbe()

# The workers running in this process, registered by their monitoring side task.
_running: dict[int, Worker] = {}


def worker_started(worker: Worker) -> None:
    _running[id(worker)] = worker


def worker_stopped(worker: Worker) -> None:
    _running.pop(id(worker), None)


def running_workers() -> list[Worker]:
    return list(_running.values())


def describe(worker: Worker) -> dict[str, Any]:
    return {
        "name": worker.worker_name,
        "worker_id": worker.worker_id,
        "queues": list(worker.queues) if worker.queues else "all",
    }


async def readiness() -> tuple[bool, dict[str, Any]]:
    """(ready, report): the report names every failed check in ``reasons``."""
    timeout = get_settings().monitoring_timeout_seconds
    workers = running_workers()
    reasons: list[str] = []
    report: dict[str, Any] = {"database": "unknown", "workers": []}
    if not workers:
        reasons.append(
            "no worker is running in this process (starting, or waiting for the database)"
        )
    try:
        async with asyncio.timeout(timeout):
            conn = await psycopg.AsyncConnection.connect(
                database_url(), connect_timeout=max(1, round(timeout)), autocommit=True
            )
    except (psycopg.Error, OSError, TimeoutError) as exc:
        report["database"] = "unreachable"
        reasons.append(f"database unreachable: {_first_line(exc)}")
        return False, {"ready": False, "reasons": reasons, **report}
    async with conn:
        try:
            async with asyncio.timeout(timeout):
                await conn.execute("SELECT 1")
            report["database"] = "ok"
            for worker in workers:
                state = await _check_worker(conn, worker, timeout)
                report["workers"].append(state)
                reasons.extend(f"worker {state['name']}: {r}" for r in state["problems"])
        except (psycopg.Error, OSError, TimeoutError) as exc:
            report["database"] = "failing"
            reasons.append(f"database query failed: {_first_line(exc)}")
    ready = not reasons
    return ready, {"ready": ready, "reasons": reasons, **report}


async def _check_worker(
    conn: psycopg.AsyncConnection[Any], worker: Worker, step_seconds: float
) -> dict[str, Any]:
    stalled_after = get_settings().stalled_after_seconds
    state: dict[str, Any] = {**describe(worker), "problems": []}
    problems: list[str] = state["problems"]
    if worker.worker_id is None:
        problems.append("not registered in the database")
        return state
    async with asyncio.timeout(step_seconds):
        row = await (await conn.execute(WORKER_AGE, (worker.worker_id,))).fetchone()
    if row is None:
        problems.append("its worker row is gone (pruned as stalled)")
    else:
        state["heartbeat_age_s"] = round(float(row[0]), 3)
        if row[0] > stalled_after:
            problems.append(f"heartbeat {row[0]:.1f} s old (limit {stalled_after:g} s)")
    if not worker.listen_notify:
        state["listen"] = "disabled"
        return state
    channels = list(get_channel_for_queues(worker.queues))
    if not channels:
        state["listen"] = "no channels"
        return state
    channel = channels[0]
    if await listen_probe.round_trip(conn, channel, step_seconds):
        state["listen"] = "ok"
    else:
        state["listen"] = "silent"
        problems.append(f"a notification on {channel} did not arrive within {step_seconds:g} s")
    return state


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
