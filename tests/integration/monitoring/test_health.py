"""``pa-tasks health`` fails with a reason line for each broken part, and passes when all work."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from personal_assistant.db import migrate
from personal_assistant.db.session import dispose_engine
from personal_assistant.monitoring.health import HealthReport, health_report
from personal_assistant.settings import get_settings
from tests.support.db import scalar
from tests.support.processes import CliResult, run_cli, running_worker, wait_for
from tests.support.reset import reset_process_caches


def verdicts(report: HealthReport | CliResult) -> dict[str, str]:
    checks = (
        report.json()["checks"] if isinstance(report, CliResult) else report.as_json()["checks"]
    )
    return {check["name"]: check["status"] for check in checks}


async def check() -> HealthReport:
    report = await health_report(get_settings())
    await dispose_engine()
    return report


def execute(url: str, sql: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql)


def open_breaker(url: str, name: str) -> None:
    if not scalar(url, "SELECT to_regclass('circuit_breakers') IS NOT NULL"):
        execute(
            url,
            "CREATE TABLE circuit_breakers "
            "(name text PRIMARY KEY, state text NOT NULL, failures int NOT NULL)",
        )
    execute(
        url, f"INSERT INTO circuit_breakers (name, state, failures) VALUES ('{name}', 'open', 5)"
    )


async def test_health_names_what_is_broken(database_url: str, tmp_path: Path) -> None:
    alone = run_cli("health", "--json")
    assert alone.code == 1
    assert alone.json()["healthy"] is False
    assert verdicts(alone)["workers"] == "fail"
    assert verdicts(alone)["scheduler"] == "warn"  # no heartbeat written yet
    assert verdicts(alone)["schema"] == "ok"
    assert "unhealthy: workers: no live worker" in alone.err

    with running_worker(tmp_path, "--queues", "maintenance_tasks"):
        beat = int(run_cli("defer", "maintenance:record_scheduler_heartbeat").out)
        wait_for(
            lambda: scalar(
                database_url, "SELECT count(*) FROM scheduler_heartbeats WHERE job_id = %s", beat
            ),
            30,
            "the scheduler heartbeat",
        )
        healthy = run_cli("health")
        assert healthy.code == 0, healthy.out + healthy.err
        assert "last heartbeat" in healthy.out and "1 live" in healthy.out
        assert healthy.err == ""
        report = await check()
        assert report.healthy
        assert verdicts(report) == {
            "database": "ok",
            "schema": "ok",
            "workers": "ok",
            "stalled jobs": "ok",
            "backlog": "ok",
            "breakers": "ok",
            "scheduler": "ok",
            "smtp": "warn",  # PA_SMTP_HOST is not set here
            "paused queues": "ok",
            "resource guard": "ok",
        }

        open_breaker(database_url, "smtp")
        report = await check()
        assert not report.healthy
        assert [(c.name, c.detail) for c in report.failures] == [("breakers", "open: smtp")]
        execute(database_url, "DELETE FROM circuit_breakers WHERE name = 'smtp'")

        execute(database_url, "UPDATE scheduler_heartbeats SET ran_at = now() - interval '2 hours'")
        report = await check()
        assert [c.name for c in report.failures] == ["scheduler"]
        assert report.failures[0].detail.startswith("last heartbeat 720")
        execute(database_url, "UPDATE scheduler_heartbeats SET ran_at = now()")
        assert (await check()).healthy

        # A database left behind by a partial upgrade: recorded at an older revision.
        execute(database_url, "UPDATE alembic_version SET version_num = '0008_schedules'")
        assert migrate.current_revisions(database_url) != migrate.head_revisions()
        report = await check()
        assert [c.name for c in report.failures] == ["schema"]
        assert "run `pa-tasks db upgrade`" in report.failures[0].detail


async def test_health_fails_when_the_database_is_unreachable(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    reset_process_caches()
    report = await check()
    assert [c.name for c in report.checks] == ["database"]
    assert report.failures[0].detail.startswith("cannot reach it:")
