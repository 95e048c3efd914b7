"""Benchmark the product's task machinery against bare procrastinate, on one PostgreSQL.

    .venv/bin/python ops/bench/run.py --runs 3

Both apps run no-op tasks, so the difference is what the product adds around a job
(transactional deferral, worker middleware, result recording). Runs alternate between
the apps to cancel drift on a shared machine; the table shows medians over the runs.
Progress goes to stderr, the report to stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

# The throwaway server comes from the test support code; appended, so the project's
# own directories (alembic/, src/) never shadow installed packages.
sys.path.append(str(Path(__file__).resolve().parents[2]))

import machine
import measures
import peers
import report
from measures import WorkerSettings, progress
from targets import Target, bare_target, project_target


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=3, help="runs per figure (median shown)")
    parser.add_argument(
        "--database-url",
        help="a server where databases may be created (default: a throwaway embedded one)",
    )
    parser.add_argument("--defer-jobs", type=int, default=500, help="sequential defers per run")
    parser.add_argument("--batch-size", type=int, default=1_000, help="jobs per batch defer")
    parser.add_argument("--batches", type=int, default=5, help="batch defers per run")
    parser.add_argument("--drain-jobs", type=int, default=10_000, help="jobs drained per run")
    parser.add_argument("--latency-jobs", type=int, default=200, help="jobs timed for pick-up")
    parser.add_argument(
        "--latency-pause", type=float, default=0.02, help="seconds between pick-up jobs"
    )
    parser.add_argument("--scheduled-jobs", type=int, default=40, help="future jobs per run")
    parser.add_argument("--ahead", type=float, default=2.0, help="seconds scheduled ahead")
    parser.add_argument(
        "--concurrency", type=int, help="worker concurrency (default: the product's, all queues)"
    )
    parser.add_argument(
        "--peers",
        action="store_true",
        help="also drain with Celery + Redis and pgqueuer in the same run (see peers.py)",
    )
    args = parser.parse_args(argv)
    if args.runs < 1 or args.drain_jobs < 1 or args.latency_jobs < 2 or args.scheduled_jobs < 2:
        parser.error("--runs and --drain-jobs must be >= 1, job counts for percentiles >= 2")
    return args


def _database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


@contextmanager
def postgres(database_url: str | None) -> Iterator[tuple[str, str]]:
    """An admin URL and a description of the server; a throwaway one unless given."""
    if database_url:
        yield database_url, "given server"
        return
    from tests.support.postgres import start_test_server

    progress("starting a throwaway PostgreSQL ...")
    server = start_test_server()
    try:
        yield server.admin_url, f"{server.kind} server"
    finally:
        server.close()


@contextmanager
def fresh_databases(admin_url: str) -> Iterator[tuple[str, str]]:
    """Two migrated databases, one per app, dropped afterwards."""
    from personal_assistant.db import migrate

    names = [f"pa_bench_{os.getpid()}_{label}" for label in ("project", "bare")]
    urls = [_database(admin_url, name) for name in names]
    try:
        for name, url in zip(names, urls, strict=True):
            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            progress(f"migrating {name} ...")
            migrate.upgrade(url)
        yield urls[0], urls[1]
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            for name in names:
                conn.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )


def use_project_database(url: str) -> None:
    """Point the product's settings at ``url``: it reads DATABASE_URL like in production."""
    from personal_assistant.db.url import database_url
    from personal_assistant.settings import get_settings

    os.environ["DATABASE_URL"] = url
    get_settings.cache_clear()
    database_url.cache_clear()


def header(
    args: argparse.Namespace,
    description: list[tuple[str, str]],
    worker: WorkerSettings,
    targets: list[Target],
) -> list[str]:
    settings = [
        ("runs", f"{args.runs} (medians shown); which app goes first flips every run; single "
                 f"defers take turns {DEFER_CHUNK} jobs at a time, batch defers batch by batch"),
        ("worker", f"in-process, queues=[bench], concurrency={worker.concurrency}, "
                   f"polling interval {worker.polling_interval:g} s, LISTEN/NOTIFY on, "
                   f"heartbeat {worker.heartbeat_interval:g} s; same options for both apps"),
        *((f"{target.label} app", target.anatomy()) for target in targets),
        ("pools", "procrastinate pool min/max as the product's settings for both apps; "
                  "the product path also uses its SQLAlchemy engine"),
        ("logging", "no handler, root level WARNING for both apps (INFO job lines dropped)"),
        ("sizes", f"{args.defer_jobs} single defers, {args.batches} x {args.batch_size:,} "
                  f"batch defers, {args.drain_jobs:,} drained, {args.latency_jobs} pick-ups "
                  f"({args.latency_pause * 1000:g} ms apart), {args.scheduled_jobs} jobs "
                  f"scheduled {args.ahead:g} s ahead (staggered over one polling interval)"),
    ]  # fmt: skip
    width = max(len(key) for key, _ in description + settings)
    lines = [f"# Task machinery benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC", ""]
    lines += [f"{key.ljust(width)}  {value}" for key, value in description]
    lines.append("")
    lines += [f"{key.ljust(width)}  {value}" for key, value in settings]
    return lines


# Deferral paths take turns this many jobs at a time (see measures.single_defer_rates).
DEFER_CHUNK = 50
LATENCY_FRACTIONS = (0.5, 0.95, 0.99)
LATENESS_FRACTIONS = (0.5, 0.99)


class Recorder:
    """Keeps every value for the table and shows it on stderr as it comes."""

    def __init__(self, results: report.Results) -> None:
        self.results = results

    def rate(self, label: str, figure: str, value: float) -> None:
        self.results.add(label, figure, value)
        progress(f"    {label:<7} {figure:<20} {value:>10,.0f} jobs/s")

    def value(self, label: str, figure: str, value: float, unit: str, scale: float) -> None:
        self.results.add(label, figure, value)
        progress(f"    {label:<7} {figure:<20} {value * scale:>10,.3f} {unit}")

    def spread(
        self, label: str, figure: str, samples: list[float], fractions: tuple[float, ...]
    ) -> None:
        shown = []
        for fraction in fractions:
            key = f"p{round(fraction * 100)}"
            value = report.percentile(samples, fraction)
            self.results.add(label, f"{figure}:{key}", value)
            shown.append(f"{key} {value * 1000:,.1f} ms")
        progress(f"    {label:<7} {figure:<20} {', '.join(shown)}")


@dataclass(frozen=True)
class PeerServers:
    """Where the peers run: the same PostgreSQL server, and a throwaway Redis."""

    admin_url: str
    redis_url: str


def drain_peers(jobs: int, servers: PeerServers, record: Recorder, flip: bool) -> None:
    drains = [
        (peers.CELERY, lambda: peers.drain_celery(servers.redis_url, jobs)),
        (peers.PGQUEUER, lambda: peers.drain_pgqueuer(servers.admin_url, jobs)),
    ]
    for label, drain in reversed(drains) if flip else drains:
        drained = drain()
        record.rate(label, "drain", drained["rate"])
        record.value(label, "drain:cpu", drained["cpu_per_job"], "ms/job", 1000)


async def one_run(
    args: argparse.Namespace,
    pair: tuple[Target, Target],
    worker: WorkerSettings,
    record: Recorder,
    servers: PeerServers | None,
) -> None:
    """Every figure once for both apps, in the order of ``pair``."""
    paths = [
        measures.DeferPath(target, f"defer:{name}", defer_one)
        for target in pair
        for name, defer_one in target.defer_paths.items()
    ]
    rates = await measures.single_defer_rates(paths, args.defer_jobs, DEFER_CHUNK)
    for path, value in zip(paths, rates, strict=True):
        record.rate(path.target.label, path.figure, value)
    rates = await measures.batch_defer_rates(list(pair), args.batch_size, args.batches)
    for target, value in zip(pair, rates, strict=True):
        record.rate(target.label, "batch", value)
    for target in pair:
        drained = await measures.drain(target, worker, args.drain_jobs)
        record.rate(target.label, "drain", drained.rate)
        record.value(target.label, "drain:cpu", drained.cpu_per_job, "ms/job", 1000)
    if servers is not None:
        flip = pair[0].label == "bare"
        await asyncio.to_thread(drain_peers, args.drain_jobs, servers, record, flip)
    for target in pair:
        samples = await measures.pickup_latencies(
            target, worker, args.latency_jobs, args.latency_pause
        )
        record.spread(target.label, "pickup", samples, LATENCY_FRACTIONS)
    for target in pair:
        samples = await measures.scheduled_lateness(target, worker, args.scheduled_jobs, args.ahead)
        record.spread(target.label, "late", samples, LATENESS_FRACTIONS)


async def benchmark(
    args: argparse.Namespace,
    project: Target,
    bare: Target,
    worker: WorkerSettings,
    servers: PeerServers | None,
) -> report.Results:
    results = report.Results()
    for run in range(args.runs):
        # Which app goes first flips every run, so slow drift favours neither.
        pair = (project, bare) if run % 2 == 0 else (bare, project)
        progress(f"run {run + 1}/{args.runs} ({pair[0].label} first)")
        await one_run(args, pair, worker, Recorder(results), servers)
    return results


async def run_both(
    args: argparse.Namespace,
    project: Target,
    bare: Target,
    worker: WorkerSettings,
    servers: PeerServers | None,
) -> report.Results:
    from personal_assistant.db.session import dispose_engine

    try:
        async with project.app.open_async(), bare.app.open_async():
            return await benchmark(args, project, bare, worker, servers)
    finally:
        await dispose_engine()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    wall = time.perf_counter()
    with (
        postgres(args.database_url) as (admin_url, server_kind),
        fresh_databases(admin_url) as (project_url, bare_url),
        contextlib.ExitStack() as stack,
    ):
        servers = None
        if args.peers:
            peers.ensure_venv()
            servers = PeerServers(admin_url, stack.enter_context(peers.redis_server()))
        use_project_database(project_url)
        from personal_assistant.settings import get_settings

        settings = get_settings()
        worker = WorkerSettings.from_product(settings, args.concurrency)
        project = project_target(project_url)
        bare = bare_target(bare_url, settings)
        description = machine.describe(admin_url, server_kind)
        print("\n".join(header(args, description, worker, [project, bare])), flush=True)
        results = asyncio.run(run_both(args, project, bare, worker, servers))
    lines = ["", *report.table(results, report.rows(args.batch_size, args.drain_jobs, args.ahead))]
    if servers is not None:
        lines += ["", *report.peers_table(results, args.drain_jobs)]
    lines += [
        "",
        "Medians over the runs; ranges are min-max. project/bare < 1 means fewer jobs/s for",
        "rates, > 1 a longer wait for times. Times run from just before the defer call (the",
        "project defers through its product path) or from schedule_at, to the first line of",
        "the task body.",
        f"Load average at the end: {machine.load_average()} (1, 5, 15 min).",
    ]
    print("\n".join(lines))
    progress(f"done in {time.perf_counter() - wall:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
