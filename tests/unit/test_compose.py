"""compose.yaml is valid and matches the app: no Docker engine is needed to check it."""

from __future__ import annotations

from pathlib import Path

import yaml

from personal_assistant.settings import QUEUES
from personal_assistant.workers.app import app

ROOT = Path(__file__).resolve().parents[2]
EXPECTED_CONCURRENCY = {
    "ai_tasks": 1,
    "email_tasks": 4,
    "file_tasks": 2,
    "sync_tasks": 2,
    "maintenance_tasks": 1,
}


def compose() -> dict:  # type: ignore[type-arg]
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def option(command: list[str], name: str) -> str:
    values = [arg.split("=", 1)[1] for arg in command if arg.startswith(f"--{name}=")]
    assert len(values) == 1, command
    return values[0]


def test_one_worker_per_queue_with_the_planned_concurrency() -> None:
    services = compose()["services"]
    workers = {name: s for name, s in services.items() if name.startswith("worker-")}
    served = {}
    for name, service in workers.items():
        command = service["command"]
        assert command[:3] == [
            "procrastinate",
            "--app=personal_assistant.workers.app.app",
            "worker",
        ]
        queue = option(command, "queues")
        served[queue] = int(option(command, "concurrency"))
        assert service["restart"] == "unless-stopped", name
        assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert served == EXPECTED_CONCURRENCY


def test_every_worker_queue_exists_in_the_app() -> None:
    app_queues = {task.queue for task in app.tasks.values()}
    for service in compose()["services"].values():
        command = service.get("command", [])
        if "worker" in command:
            queue = option(command, "queues")
            assert queue in QUEUES
            assert queue in app_queues, f"no task runs on {queue}"


def test_postgres_has_a_healthcheck_and_migrate_runs_alembic() -> None:
    services = compose()["services"]
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    assert services["migrate"]["command"] == ["alembic", "upgrade", "heads"]
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_the_dockerfile_builds_from_files_that_exist() -> None:
    dockerfile = (ROOT / "ops" / "Dockerfile").read_text()
    for line in dockerfile.splitlines():
        if line.startswith("COPY "):
            for source in line.split()[1:-1]:
                assert (ROOT / source).exists(), source
