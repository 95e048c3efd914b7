"""Drain no-op jobs with pgqueuer; runs inside the peers' venv (see ``peers.py``).

    python peer_pgqueuer.py DATABASE_URL JOBS

Installs pgqueuer's schema in the (fresh) database, pre-fills JOBS jobs in batches, then
runs one in-process worker in ``drain`` mode until the queue is empty, the way
``measures.drain`` runs procrastinate's. Prints one JSON object: jobs/s and the process's
CPU seconds per job over the drain.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

import psycopg
from pgqueuer import PgQueuer
from pgqueuer.db import PsycopgDriver
from pgqueuer.models import Job
from pgqueuer.queries import Queries
from pgqueuer.types import QueueExecutionMode

PREFILL_CHUNK = 1_000


async def main(url: str, jobs: int) -> dict[str, float]:
    connection = await psycopg.AsyncConnection.connect(url, autocommit=True)
    driver = PsycopgDriver(connection)
    queries = Queries(driver)
    await queries.install()
    for start in range(0, jobs, PREFILL_CHUNK):
        size = min(PREFILL_CHUNK, jobs - start)
        await queries.enqueue(["bench"] * size, [None] * size, [0] * size)

    pgq = PgQueuer(driver)
    done = 0

    @pgq.entrypoint("bench")
    async def bench(job: Job) -> None:
        nonlocal done
        done += 1

    started, cpu_started = time.perf_counter(), time.process_time()
    await pgq.run(mode=QueueExecutionMode.drain)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    await connection.close()
    if done != jobs:
        raise SystemExit(f"pgqueuer ran {done} of {jobs} jobs")
    return {"rate": jobs / elapsed, "cpu_per_job": cpu / jobs}


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(sys.argv[1], int(sys.argv[2])))))
