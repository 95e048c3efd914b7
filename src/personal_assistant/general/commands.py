"""Run an allow-listed program: an argv list, never a shell, with a timeout and capped output.

The allow-list (``PA_COMMAND_ALLOWLIST``) holds bare program names, found on the worker's
``PATH``, and absolute paths. The argv's first element must equal an entry exactly:
``git`` allows ``git`` but not ``/tmp/x/git``, and ``/usr/bin/git`` allows only that path.
The program runs with the worker's environment, like a cron job: the allow-list is the
trust boundary. It gets its own process group, so a timeout kills its children too.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from dataclasses import dataclass
from typing import Any

from personal_assistant.jobs.retry import PermanentError


class CommandNotAllowed(PermanentError):
    """The program is not on PA_COMMAND_ALLOWLIST."""


class CommandNotFound(PermanentError):
    """The program could not be started."""


class CommandFailed(PermanentError):
    """The command exited with a non-zero status."""


class CommandTimedOut(PermanentError):
    """The command ran past its timeout and was killed."""


def refusal(argv: list[str], allowlist: list[str]) -> str | None:
    """Why ``argv`` may not run, or None if it may."""
    if not argv or not argv[0]:
        return "argv is empty: give the program and its arguments as a list"
    if any("\x00" in arg for arg in argv):
        return "argv contains a NUL character"
    if argv[0] not in allowlist:
        allowed = ", ".join(allowlist) if allowlist else "nothing (it is empty)"
        return f"program {argv[0]!r} is not on PA_COMMAND_ALLOWLIST, which allows {allowed}"
    return None


@dataclass(frozen=True)
class Captured:
    text: str
    total_bytes: int

    @property
    def truncated(self) -> bool:
        return self.total_bytes > len(self.text.encode("utf-8", errors="replace"))


async def _tail(stream: asyncio.StreamReader | None, cap: int) -> Captured:
    """Read a stream to its end, keeping only the last ``cap`` bytes.

    The end of a program's output is where its errors and summaries usually are.
    """
    kept = bytearray()
    total = 0
    while stream is not None and (chunk := await stream.read(65_536)):
        total += len(chunk)
        kept += chunk
        if len(kept) > cap:
            del kept[:-cap]
    return Captured(kept.decode("utf-8", errors="replace"), total)


def _kill_group(process: asyncio.subprocess.Process) -> None:
    with contextlib.suppress(ProcessLookupError):  # already gone
        os.killpg(process.pid, signal.SIGKILL)


async def run_command(
    argv: list[str], *, timeout_seconds: float, allowlist: list[str], output_cap: int
) -> dict[str, Any]:
    """Run ``argv`` and return its exit status and output; raise if it does not exit 0."""
    reason = refusal(argv, allowlist)
    if reason:
        raise CommandNotAllowed(reason)
    started = time.monotonic()
    try:
        process = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
        )
    except OSError as exc:
        raise CommandNotFound(f"cannot start {argv[0]!r}: {exc.strerror or exc}") from None
    try:
        async with asyncio.timeout(timeout_seconds):
            stdout, stderr = await asyncio.gather(
                _tail(process.stdout, output_cap), _tail(process.stderr, output_cap)
            )
            code = await process.wait()
    except TimeoutError:
        raise CommandTimedOut(
            f"{argv[0]} ran past its {timeout_seconds:g} s timeout and was killed"
        ) from None
    finally:
        # Timed out, or the job was cancelled: nothing the command started outlives it.
        if process.returncode is None:
            _kill_group(process)
            await process.wait()
    if code != 0:
        last = stderr.text.strip().splitlines()[-1:] or stdout.text.strip().splitlines()[-1:]
        detail = f": {last[0][:300]}" if last else ""
        raise CommandFailed(f"{argv[0]} exited with status {code}{detail}")
    return {
        "argv": argv,
        "exit_code": code,
        "duration_s": round(time.monotonic() - started, 3),
        "stdout": stdout.text,
        "stderr": stderr.text,
        "stdout_bytes": stdout.total_bytes,
        "stderr_bytes": stderr.total_bytes,
        "truncated": stdout.truncated or stderr.truncated,
    }
