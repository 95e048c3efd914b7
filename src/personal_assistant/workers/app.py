"""The procrastinate App: ``procrastinate --app=personal_assistant.workers.app.app worker``.

The App and its tasks are built in ``jobs.app``; this process module only makes its
workers start on time and keep results (``workers/worker.py``).
"""

from __future__ import annotations

import sys

from personal_assistant.errors import ConfigError
from personal_assistant.jobs.app import AssistantApp, get_app
from personal_assistant.workers.worker import AssistantWorker

try:
    app: AssistantApp = get_app()
except ConfigError as error:
    # procrastinate's own CLI imports this module: a bad setting is one line there too,
    # as in pa-tasks, not a traceback through the import.
    print(f"error: {error}", file=sys.stderr)
    raise SystemExit(error.exit_code) from None
app.worker_class = AssistantWorker
