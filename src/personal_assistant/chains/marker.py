"""How a job is recognised as a chain step without a database lookup.

Each step's job carries the queueing lock ``chain:<id>:<step>``: unique anyway, and it
lets the worker hook skip every other job for free.
"""

from __future__ import annotations

PREFIX = "chain:"


def step_lock(chain_id: int, step: int) -> str:
    return f"{PREFIX}{chain_id}:{step}"


def is_marked(queueing_lock: str | None) -> bool:
    return bool(queueing_lock and queueing_lock.startswith(PREFIX))
