"""Where a worker spends its CPU per job: cProfile over one drain of no-op jobs.

    .venv/bin/python ops/bench/profile_drain.py --jobs 3000 [--app bare] [--top 30]

Same set-up as ``run.py``'s drain (a throwaway server, a fresh migrated database, the
queue pre-filled, an in-process worker run until the queue is empty), with cProfile on
for the drain alone. cProfile counts each resumption of a coroutine as a call, so read
``tottime`` (time in the function itself), not call counts. The top functions by
``tottime`` and by ``cumtime`` go to stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import pstats
import sys
import time

import measures
from measures import WorkerSettings
from run import fresh_databases, postgres, use_project_database
from targets import Target, bare_target, project_target


async def _drain(target: Target, worker: WorkerSettings, jobs: int) -> None:
    async with target.app.open_async():
        measures.empty_queue(target)
        for first in range(0, jobs, measures.PREFILL_CHUNK):
            await target.batch_defer(first, min(measures.PREFILL_CHUNK, jobs - first))
        measures.execute(target.url, "ANALYZE procrastinate_jobs")
        profiler = cProfile.Profile()
        started, cpu_started = time.perf_counter(), time.process_time()
        profiler.enable()
        await measures.run_worker(target, worker, wait=False)
        profiler.disable()
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        if (done := measures.count_jobs(target, "succeeded")) != jobs:
            raise measures.BenchFailure(f"{done} of {jobs} jobs succeeded")
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    print(f"# {target.label}: {jobs / elapsed:,.0f} jobs/s under cProfile, "
          f"{cpu / jobs * 1000:.3f} ms CPU/job")  # fmt: skip
    for key in ("tottime", "cumulative"):
        stats.sort_stats(key).print_stats(ARGS.top)
    print(out.getvalue())


def main() -> int:
    with postgres(None) as (admin_url, _), fresh_databases(admin_url) as (project_url, bare_url):
        use_project_database(project_url)
        from personal_assistant.settings import get_settings

        settings = get_settings()
        worker = WorkerSettings.from_product(settings, None)
        target = (
            project_target(project_url)
            if ARGS.app == "project"
            else bare_target(bare_url, settings)
        )
        asyncio.run(_drain(target, worker, ARGS.jobs))
    return 0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--jobs", type=int, default=3000)
    parser.add_argument("--app", choices=("project", "bare"), default="project")
    parser.add_argument("--top", type=int, default=30)
    return parser.parse_args()


if __name__ == "__main__":
    ARGS = parse_args()
    sys.exit(main())
