"""Where the product's defer path spends its time, beside what it is made of.

    .venv/bin/python ops/bench/defer_path.py [--jobs 400] [--rounds 3]

One job at a time, the paths taking turns round by round: the product path
(``session_scope()`` + ``enqueue.defer``), the same insert in a raw psycopg transaction,
a SQLAlchemy session transaction running ``SELECT 1``, the project's ``defer_async``
(autocommit, one round trip) and bare procrastinate's (a pool check, then the insert).
Prints the median wall and CPU milliseconds per defer over the rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable, Callable

from psycopg.types.json import Jsonb
from run import fresh_databases, postgres, use_project_database
from sqlalchemy import text
from targets import Target, bare_target, plain_deferrer, product_deferrer, project_target

DEFER_SQL = """
SELECT procrastinate_defer_jobs_v1(ARRAY[ROW(%s, %s, 0, NULL, NULL, %s, NULL)]
                                   ::procrastinate_job_to_defer_v1[])
"""

Path = Callable[[int], Awaitable[object]]


def paths(project: Target, bare: Target) -> dict[str, Path]:
    from personal_assistant.db.session import raw_connection, session_scope

    product, project_plain = product_deferrer(project.task), plain_deferrer(project.task)
    bare_plain = plain_deferrer(bare.task)

    async def raw_transaction(n: int) -> object:
        async with session_scope() as session:
            connection = await raw_connection(session)
            cursor = await connection.execute(
                DEFER_SQL, (project.task.queue, project.task.name, Jsonb({"n": n}))
            )
            return await cursor.fetchone()

    async def session_select(n: int) -> object:
        async with session_scope() as session:
            return await session.scalar(text("SELECT 1"))

    return {
        "product path (session + enqueue.defer)": lambda n: product(n, None),
        "same insert, SQL only, in the session": raw_transaction,
        "session transaction, SELECT 1": session_select,
        "project defer_async": lambda n: project_plain(n, None),
        "bare procrastinate defer_async": lambda n: bare_plain(n, None),
    }


async def measure(project: Target, bare: Target, jobs: int, rounds: int) -> None:
    from personal_assistant.db.session import dispose_engine

    async with project.app.open_async(), bare.app.open_async():
        named = paths(project, bare)
        wall: dict[str, list[float]] = {name: [] for name in named}
        cpu: dict[str, list[float]] = {name: [] for name in named}
        for _ in range(rounds):
            for name, path in named.items():
                started, cpu_started = time.perf_counter(), time.process_time()
                for n in range(jobs):
                    await path(n)
                wall[name].append((time.perf_counter() - started) / jobs * 1000)
                cpu[name].append((time.process_time() - cpu_started) / jobs * 1000)
        await dispose_engine()
    print(f"| path | wall ms/defer | CPU ms/defer |  (medians of {rounds} rounds of {jobs})")
    print("|---|---:|---:|")
    for name in named:
        print(
            f"| {name} | {statistics.median(wall[name]):.3f} | {statistics.median(cpu[name]):.3f} |"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--jobs", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with postgres(None) as (admin_url, _), fresh_databases(admin_url) as (project_url, bare_url):
        use_project_database(project_url)
        from personal_assistant.settings import get_settings

        project = project_target(project_url)
        bare = bare_target(bare_url, get_settings())
        asyncio.run(measure(project, bare, args.jobs, args.rounds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
