"""How fast the CLI answers: wall time of fresh ``pa-tasks`` processes, medians.

    .venv/bin/python ops/bench/cli_startup.py --runs 5

Each run is a new Python process (no warm interpreter), as a user's shell starts it:
``pa-tasks --help``, ``pa-tasks jobs list`` against a migrated database (a throwaway
server unless ``--database-url`` is given), and ``procrastinate --help`` for reference.
Bytecode caches are warmed once first, as they are after an install.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

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
    print(f"| command | median of {args.runs} (s) | min (s) | max (s) |")
    print("|---|---:|---:|---:|")
    for name, values in samples.items():
        print(
            f"| `{name}` | {statistics.median(values):.3f} | {min(values):.3f} | {max(values):.3f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
