"""Set-up done in the test process (the CLI's own behaviour is tested in test_cli.py)."""

from __future__ import annotations

import asyncio
from typing import Any

from personal_assistant.ai import lifecycle
from personal_assistant.db.session import dispose_engine, session_scope


def create_task(instructions: str, schedule: str, **fields: Any) -> dict[str, Any]:
    """Create an AI task (title = instructions); its id, next run and pending job."""

    async def create() -> dict[str, Any]:
        async with session_scope() as session:
            task = await lifecycle.create_task(
                session,
                user_id="ada",
                title=fields.pop("title", instructions),
                instructions=instructions,
                schedule=schedule,
                **fields,
            )
            created = {
                "id": task.id,
                "next_run_at": task.next_run_at,
                "pending_job_id": task.pending_job_id,
            }
        await dispose_engine()
        return created

    return asyncio.run(create())


def run_now(task_id: int) -> int:
    """Defer a run of the task now; its job id."""

    async def defer() -> int:
        async with session_scope() as session:
            job_id = await lifecycle.run_now(session, task_id)
        await dispose_engine()
        return job_id

    return asyncio.run(defer())
