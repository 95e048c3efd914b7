"""Drain no-op jobs with Celery on Redis; runs inside the peers' venv (see ``peers.py``).

    python peer_celery.py REDIS_URL JOBS

The system this product replaces: Celery's defaults (prefork pool, one child per core,
prefetch multiplier 4, early acks), results ignored. Pre-fills JOBS messages, starts
``celery worker`` as a child process, and times the drain from the first job's start to
the last job's end; each job counts itself in Redis (one INCR, the only way to know from
outside when a prefork worker has run everything). CPU is the worker's process tree over
the same span. Prints one JSON object.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import psutil
import redis
from celery import Celery

QUEUE = "bench"
DONE_KEY = "bench:done"

app = Celery("peer_celery", broker=os.environ.get("PEER_REDIS_URL", "redis://127.0.0.1:6379/0"))
app.conf.update(task_ignore_result=True, task_default_queue=QUEUE, worker_hijack_root_logger=False)
_counter = redis.Redis.from_url(app.conf.broker_url)


@app.task(name="bench")
def bench() -> None:
    _counter.incr(DONE_KEY)


def _tree_cpu(process: psutil.Process) -> float:
    total = 0.0
    for one in [process, *process.children(recursive=True)]:
        try:
            times = one.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def main(url: str, jobs: int) -> dict[str, float]:
    os.environ["PEER_REDIS_URL"] = url
    app.conf.broker_url = url
    counter = redis.Redis.from_url(url)
    counter.flushdb()
    with app.producer_pool.acquire(block=True) as producer:
        for _ in range(jobs):
            bench.apply_async(producer=producer)
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "peer_celery", "worker", "-Q", QUEUE,
         "--loglevel=WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=os.path.dirname(os.path.abspath(__file__)),
        env={**os.environ, "PEER_REDIS_URL": url},
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        tree = psutil.Process(worker.pid)
        deadline = time.monotonic() + 600
        while int(counter.get(DONE_KEY) or 0) == 0:
            if time.monotonic() > deadline or worker.poll() is not None:
                raise SystemExit("celery worker never started a job")
            time.sleep(0.002)
        started, cpu_started = time.perf_counter(), _tree_cpu(tree)
        first = int(counter.get(DONE_KEY) or 0)
        while (done := int(counter.get(DONE_KEY) or 0)) < jobs:
            if time.monotonic() > deadline or worker.poll() is not None:
                raise SystemExit(f"celery ran {done} of {jobs} jobs")
            time.sleep(0.002)
        elapsed, cpu = time.perf_counter() - started, _tree_cpu(tree) - cpu_started
    finally:
        worker.terminate()
        worker.wait(30)
    counted = jobs - first
    return {"rate": counted / elapsed, "cpu_per_job": cpu / counted}


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], int(sys.argv[2]))))
