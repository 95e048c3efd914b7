"""What the numbers were measured on: hardware, Python, PostgreSQL and library versions."""

from __future__ import annotations

import os
import platform
from importlib import metadata
from pathlib import Path

import psycopg


def _proc_field(path: str, name: str) -> str | None:
    try:
        lines = Path(path).read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        key, _, value = line.partition(":")
        if key.strip() == name:
            return value.strip()
    return None


def cpu_model() -> str:
    return _proc_field("/proc/cpuinfo", "model name") or platform.processor() or "unknown"


def memory() -> str:
    total = _proc_field("/proc/meminfo", "MemTotal")  # "24596940 kB"
    if not total:
        return "unknown"
    return f"{int(total.split()[0]) / 1024 / 1024:.1f} GiB"


def cores() -> str:
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    return f"{os.cpu_count()} logical" + (f" ({usable} usable)" if usable else "")


def load_average() -> str:
    """The 1, 5 and 15 minute load averages: other work on the machine skews the numbers."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def postgres_version(url: str) -> str:
    with psycopg.connect(url) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    return str(row[0]) if row else "unknown"


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def describe(url: str, server_kind: str) -> list[tuple[str, str]]:
    return [
        ("CPU", cpu_model()),
        ("cores", cores()),
        ("RAM", memory()),
        ("load at start", load_average()),
        ("OS", platform.platform()),
        ("Python", f"{platform.python_implementation()} {platform.python_version()}"),
        ("PostgreSQL", f"{postgres_version(url)} ({server_kind}, same machine)"),
        (
            "libraries",
            ", ".join(
                f"{name} {_version(name)}"
                for name in ("procrastinate", "psycopg", "psycopg-pool", "SQLAlchemy")
            ),
        ),
    ]
