"""The procrastinate App: ``procrastinate --app=personal_assistant.workers.app.app worker``.

The App and its tasks are built in ``jobs.app``; this process module only makes its
workers start on time and keep results (``workers/worker.py``).
"""

from __future__ import annotations

from personal_assistant.jobs.app import AssistantApp, get_app
from personal_assistant.workers.worker import AssistantWorker

app: AssistantApp = get_app()
app.worker_class = AssistantWorker
