"""Run an allowed argv: never a shell, with a minimal environment, a timeout and capped
output. What may run, and with which variables, is ``command_policy``'s decision.

The program gets its own process group. When it ends, times out or its job is cancelled,
the whole group is killed: nothing it started in the background outlives it, even when
it exited first. (A program that starts a new session of its own leaves the group; only
a container or a systemd unit contains that.)
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from dataclasses import dataclass
from typing import Any

from personal_assistant.general.command_policy import CommandPolicy, refusal
from personal_assistant.jobs.retry import PermanentError

__all__ = ["CommandPolicy", "refusal", "run_command"]

LEADER_POLL_SECONDS = 0.05
PIPE_CLOSE_GRACE_SECONDS = 5.0


class CommandNotAllowed(PermanentError):
    """The argv is not allowed by the command policy."""


class CommandNotFound(PermanentError):
    """The program could not be started."""


class CommandFailed(PermanentError):
    """The command exited with a non-zero status."""


class CommandTimedOut(PermanentError):
    """The command ran past its timeout and was killed."""


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
    # The group keeps the leader's pid as its id while any member lives, even after the
    # leader exited and was reaped; once the group is empty, there is nothing to kill.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


async def _leader_exit(process: asyncio.subprocess.Process) -> int:
    """The program's exit status, as soon as it exits.

    ``Process.wait`` also waits for the pipes to close, which a background child holding
    them would put off until it ends.
    """
    while process.returncode is None:  # noqa: ASYNC110 - asyncio has no exit event for it
        await asyncio.sleep(LEADER_POLL_SECONDS)
    return process.returncode


async def run_command(
    argv: list[str], *, timeout_seconds: float, policy: CommandPolicy, output_cap: int
) -> dict[str, Any]:
    """Run ``argv`` and return its exit status and output; raise if it does not exit 0."""
    reason = refusal(argv, policy)
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
            env=policy.environment(),
        )
    except OSError as exc:
        raise CommandNotFound(f"cannot start {argv[0]!r}: {exc.strerror or exc}") from None
    reading = asyncio.gather(_tail(process.stdout, output_cap), _tail(process.stderr, output_cap))
    try:
        async with asyncio.timeout(timeout_seconds):
            code = await _leader_exit(process)
            # What the program left running in the background goes with it; the pipes
            # then close, and what was written to them is still read.
            _kill_group(process)
            stdout, stderr = await reading
    except TimeoutError:
        raise CommandTimedOut(
            f"{argv[0]} ran past its {timeout_seconds:g} s timeout and was killed"
        ) from None
    finally:
        # Ended, timed out or cancelled: the group goes, whether its leader is alive or not.
        _kill_group(process)
        reading.cancel()
        # A child that left the group may still hold the pipes: do not wait on it forever.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(PIPE_CLOSE_GRACE_SECONDS):
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
