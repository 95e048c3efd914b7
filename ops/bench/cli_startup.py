"""How fast the CLI answers, and how much memory a worker process holds.

    .venv/bin/python ops/bench/cli_startup.py --runs 5

Each run is a new Python process (no warm interpreter), as a user's shell starts it:
``pa-tasks --help``, ``pa-tasks jobs list`` against a migrated database (a throwaway
server unless ``--database-url`` is given), and ``procrastinate --help`` for reference.
Bytecode caches are warmed once first, as they are after an install. Then one
``pa-tasks worker`` on every queue runs ``--worker-jobs`` ping jobs, and its resident
memory (RSS) is read once they are done.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import psutil
import psycopg

ROOT = Path(__file__).resolve().parents[2]
sys.path.append(str(ROOT))

from run import fresh_databases, postgres  # noqa: E402

BIN = Path(sys.executable).parent


def timed(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed: {done.stderr.decode()[-400:]}")
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database-url")
    parser.add_argument("--worker-jobs", type=int, default=500)
    args = parser.parse_args(argv)
    commands = {
        "pa-tasks --help": [str(BIN / "pa-tasks"), "--help"],
        "pa-tasks jobs list": [str(BIN / "pa-tasks"), "jobs", "list"],
        "procrastinate --help": [str(BIN / "procrastinate"), "--help"],
    }
    with postgres(args.database_url) as (admin_url, _), fresh_databases(admin_url) as (url, _):
        env = {**os.environ, "DATABASE_URL": url}
        for command in commands.values():
            timed(command, env)
        samples: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, command in commands.items():
                samples[name].append(timed(command, env))
        rss = worker_rss(env, url, args.worker_jobs)
    print(f"| command | median of {args.runs} (s) | min (s) | max (s) |")
    print("|---|---:|---:|---:|")
    for name, values in samples.items():
        print(
            f"| `{name}` | {statistics.median(values):.3f} | {min(values):.3f} | {max(values):.3f} |"
        )
    print(f"\nworker RSS after {args.worker_jobs} ping jobs: {rss / 2**20:.0f} MiB")
    return 0


def worker_rss(env: dict[str, str], url: str, jobs: int) -> int:
    """Resident memory of a ``pa-tasks worker`` on every queue once it has run ``jobs`` pings."""
    worker = subprocess.Popen(
        [str(BIN / "pa-tasks"), "worker", "--name", "rss"], env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(
                "SELECT procrastinate_defer_jobs_v1(array_agg(ROW('maintenance_tasks',"
                " 'maintenance:ping', 0, NULL, NULL, '{}'::jsonb, NULL)"
                "::procrastinate_job_to_defer_v1)) FROM generate_series(1, %s)",
                (jobs,),
            )
            deadline = time.monotonic() + 300
            while conn.execute(
                "SELECT count(*) FROM procrastinate_jobs"
                " WHERE task_name = 'maintenance:ping' AND status <> 'succeeded'"
            ).fetchone() != (0,):
                if time.monotonic() > deadline or worker.poll() is not None:
                    raise SystemExit("the worker did not run the ping jobs")
                time.sleep(0.2)
        return int(psutil.Process(worker.pid).memory_info().rss)
    finally:
        worker.terminate()
        worker.wait(60)


if __name__ == "__main__":
    sys.exit(main())
