"""Numbers in, one table out: the median of every figure over the runs, side by side."""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass


class Results:
    """Every run's value of every figure, by app label and figure key."""

    def __init__(self) -> None:
        self._values: dict[tuple[str, str], list[float]] = defaultdict(list)

    def add(self, label: str, figure: str, value: float) -> None:
        self._values[(label, figure)].append(value)

    def values(self, label: str, figure: str) -> list[float]:
        return self._values.get((label, figure), [])


def percentile(samples: list[float], fraction: float) -> float:
    """Linear interpolation between the closest ranks (numpy's default)."""
    ordered = sorted(samples)
    position = fraction * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass(frozen=True)
class Row:
    label: str
    unit: str
    project: str
    bare: str
    # Values are stored in base units (jobs/s, seconds); shown as ``value * scale``.
    scale: float = 1.0
    digits: int = 0


def _rate(label: str, project: str, bare: str | None = None) -> Row:
    return Row(label, "jobs/s", project, bare or project)


def _milliseconds(label: str, figure: str) -> Row:
    return Row(label, "ms", figure, figure, scale=1000.0, digits=1)


def rows(batch_size: int, drain_jobs: int, ahead: float) -> list[Row]:
    return [
        _rate(
            "single defer, product path (enqueue.defer in a transaction)",
            "defer:product path",
            "defer:defer_async",
        ),
        _rate("single defer, task.defer_async", "defer:defer_async"),
        _rate(f"batch defer, batch_defer_async of {batch_size:,}", "batch"),
        _rate(f"drain {drain_jobs:,} no-op jobs", "drain"),
        Row(
            "drain, worker CPU time per job (in-process)",
            "ms/job",
            "drain:cpu",
            "drain:cpu",
            1000.0,
            3,
        ),
        _milliseconds("pick-up latency, defer -> start, p50", "pickup:p50"),
        _milliseconds("pick-up latency, defer -> start, p95", "pickup:p95"),
        _milliseconds("pick-up latency, defer -> start, p99", "pickup:p99"),
        _milliseconds(f"lateness, scheduled {ahead:g} s ahead, p50", "late:p50"),
        _milliseconds(f"lateness, scheduled {ahead:g} s ahead, p99", "late:p99"),
    ]


def _number(value: float, row: Row) -> str:
    return f"{value * row.scale:,.{row.digits}f}"


def _ratio(project: float, bare: float) -> str:
    if not bare:
        return "n/a"
    ratio = project / bare
    # Two decimals hide a hundredfold difference; show three significant digits below 0.1.
    return f"{ratio:.2f}" if ratio >= 0.1 else f"{ratio:.3g}"


def _spread(values: list[float], row: Row) -> str:
    return f"{_number(min(values), row)}-{_number(max(values), row)}"


def table(results: Results, table_rows: list[Row]) -> list[str]:
    """A Markdown table, padded so it also reads well in a terminal."""
    header = ["figure", "unit", "project", "bare", "project/bare", "project range", "bare range"]
    body: list[list[str]] = []
    for row in table_rows:
        project = results.values("project", row.project)
        bare = results.values("bare", row.bare)
        if not project or not bare:
            continue
        project_median, bare_median = statistics.median(project), statistics.median(bare)
        ratio = _ratio(project_median, bare_median)
        body.append(
            [
                row.label,
                row.unit,
                _number(project_median, row),
                _number(bare_median, row),
                ratio,
                _spread(project, row),
                _spread(bare, row),
            ]
        )
    return _render(header, body, text_columns=2)


def _render(header: list[str], body: list[list[str]], text_columns: int) -> list[str]:
    """A Markdown table, padded so it also reads well in a terminal."""
    widths = [max(len(line[i]) for line in [header, *body]) for i in range(len(header))]

    def render(cells: list[str]) -> str:
        padded = [
            cell.ljust(width) if i < text_columns else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ]
        return "| " + " | ".join(padded) + " |"

    rule = (
        "|"
        + "|".join(
            "-" * (w + 1) + ":" if i >= text_columns else "-" * (w + 2)
            for i, w in enumerate(widths)
        )
        + "|"
    )
    return [render(header), rule, *(render(line) for line in body)]


# The peers' columns, in order; the first is the system the product replaces.
PEERS = ("celery+redis", "pgqueuer")
PEER_ROWS = (("drain", "jobs/s", 1.0, 0, max), ("drain:cpu", "ms/job", 1000.0, 3, min))


def peers_table(results: Results, drain_jobs: int) -> list[str]:
    """Drain beside the peers: each figure's ratio to Celery + Redis, and to the best
    Python PostgreSQL queue measured (bare procrastinate or pgqueuer)."""
    header = ["figure", "unit", "project", "bare", *PEERS, "project/celery", "project/best PG"]
    body: list[list[str]] = []
    for figure, unit, scale, digits, best in PEER_ROWS:
        medians = {
            label: statistics.median(values)
            for label in ("project", "bare", *PEERS)
            if (values := results.values(label, figure))
        }
        if len(medians) < 4:
            continue
        row = Row(figure, unit, figure, figure, scale, digits)
        best_pg = best(medians["bare"], medians["pgqueuer"])
        label = f"drain {drain_jobs:,} no-op jobs" if figure == "drain" else "drain, CPU per job"
        body.append(
            [
                label,
                unit,
                *(_number(medians[name], row) for name in ("project", "bare", *PEERS)),
                _ratio(medians["project"], medians["celery+redis"]),
                _ratio(medians["project"], best_pg),
            ]
        )
    return _render(header, body, text_columns=2)
