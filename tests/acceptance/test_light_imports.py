"""What a process loads decides its memory and how fast it starts: a worker holds no
library only some commands or tasks use, and ``pa-tasks jobs list`` loads no queue
machinery. Each check runs in a fresh interpreter, as a user's shell starts it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

# Libraries a worker process loads only when a task that needs them runs.
NOT_IN_A_WORKER = (
    "mcp",
    "mcp_types",
    "httpx2",
    "jsonschema",
    "starlette",
    "sse_starlette",
    "uvicorn",
    "jinja2",
    "alembic",
)

# What listing jobs needs not: the App (procrastinate, every domain), the web side,
# migrations.
NOT_IN_JOBS_LIST = (
    "procrastinate",
    "personal_assistant.jobs.app",
    "personal_assistant.mcp_client",
    "prometheus_client",
    "croniter",
    *NOT_IN_A_WORKER,
)

REPORT = "import json, sys\nprint(json.dumps(sorted(set(sys.modules) & set(sys.argv[1:]))))\n"


def loaded(body: str, names: tuple[str, ...]) -> list[str]:
    """Which of ``names`` are in ``sys.modules`` once ``body`` has run in a new process."""
    done = subprocess.run(
        [sys.executable, "-c", f"{body}\n{REPORT}", *names],
        capture_output=True,
        text=True,
        check=True,
        env=os.environ.copy(),
    )
    found: list[str] = json.loads(done.stdout.splitlines()[-1])
    return found


def test_a_worker_process_loads_no_library_of_one_task_only() -> None:
    body = (
        "import personal_assistant.cli.worker\n"
        "from personal_assistant.workers.app import app\n"
        "assert 'mcp:call_tool' in app.tasks and 'ai:run_ai_task' in app.tasks\n"
    )
    assert loaded(body, NOT_IN_A_WORKER) == []


def listing_jobs(*options: str) -> str:
    """A process body: ``pa-tasks jobs list --json`` with ``options``, on an empty queue."""
    return (
        "import contextlib, io, json\n"
        "from personal_assistant.cli.main import main\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n"
        f"    main(['jobs', 'list', *{list(options)!r}, '--json'])\n"
        "assert json.loads(out.getvalue()) == []\n"
    )


def test_listing_jobs_loads_no_queue_machinery(database_url: str) -> None:
    assert loaded(listing_jobs(), NOT_IN_JOBS_LIST) == []


def test_filtering_jobs_by_a_short_task_name_still_resolves_it(database_url: str) -> None:
    found = loaded(listing_jobs("--task", "ping"), ("personal_assistant.jobs.app",))
    assert found == ["personal_assistant.jobs.app"]
