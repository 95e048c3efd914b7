"""``pa-tasks stats``: throughput, failure rate and durations per task over a window."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta

import typer
from rich.live import Live
from rich.table import Table

from personal_assistant.cli.output import when
from personal_assistant.cli.runtime import console, in_session, print_json, run
from personal_assistant.db.session import session_scope
from personal_assistant.errors import BadInput
from personal_assistant.monitoring.stats import QueueStats, TaskStats, queue_stats


def parse_window(text: str) -> timedelta:
    from personal_assistant.schedule_text import ScheduleError, parse_duration

    try:
        return parse_duration(text)
    except ScheduleError as exc:
        raise BadInput(f"--window: {exc}") from None


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def render(stats: QueueStats) -> Table:
    grid = Table(
        title=f"Jobs finished since {when(stats.since)} ({stats.window_seconds:g} s)",
        title_justify="left",
        header_style="bold",
    )
    for column in ("task", "queue", "finished", "per min", "failed", "failure", "retried"):
        grid.add_column(column)
    grid.add_column("p50 s", justify="right")
    grid.add_column("p95 s", justify="right")

    def add(row: TaskStats, style: str | None = None) -> None:
        grid.add_row(
            row.task,
            row.queue,
            str(row.finished),
            f"{row.per_minute:g}",
            str(row.failed),
            _percent(row.failure_rate),
            str(row.retried),
            _seconds(row.p50_s),
            _seconds(row.p95_s),
            style=style,
        )

    for row in stats.tasks:
        add(row)
    add(stats.total, style="bold")
    return grid


async def _read(window: timedelta) -> QueueStats:
    async with session_scope() as session:
        return await queue_stats(session, window)


async def _watch(window: timedelta, interval: float) -> None:
    if not console.is_terminal:
        # Piped (e.g. to a log): one table per refresh, flushed, instead of redrawing.
        while True:
            console.print(render(await _read(window)))
            console.file.flush()
            await asyncio.sleep(interval)
    with Live(console=console, auto_refresh=False) as live:
        while True:
            live.update(render(await _read(window)), refresh=True)
            await asyncio.sleep(interval)


def stats_command(
    window: str = typer.Option("1h", help="How far back: e.g. 15m, 1h, 1d."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    watch: bool = typer.Option(False, "--watch", help="Refresh live until Ctrl-C."),
    interval: float = typer.Option(2.0, min=0.2, help="Seconds between refreshes (--watch)."),
) -> None:
    """Throughput, failure rate and p50/p95 duration per task, from the job event log."""
    span = parse_window(window)
    if watch and as_json:
        raise BadInput("--watch shows a live table; use --json without --watch")
    if watch:
        with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is how --watch ends
            run(_watch(span, interval))
        return
    stats = in_session(lambda session: queue_stats(session, span))
    if as_json:
        print_json(stats.as_json())
        return
    console.print(render(stats))
