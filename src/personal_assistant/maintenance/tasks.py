"""Maintenance on ``maintenance_tasks``: vacuum, expired sessions, old records, heartbeats.

Periodic cadences are cron expressions that procrastinate evaluates in UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime

from procrastinate import JobContext

from personal_assistant.db.session import session_scope
from personal_assistant.db.url import database_url
from personal_assistant.jobs.declare import Domain, JSONResult, Tick
from personal_assistant.jobs.retry import MAINTENANCE, NO_RETRY
from personal_assistant.maintenance.pruning import Retention, prune_old_records
from personal_assistant.maintenance.sessions import delete_expired_sessions
from personal_assistant.maintenance.vacuum import optimize_database as vacuum_all
from personal_assistant.monitoring.heartbeat import record_heartbeat
from personal_assistant.settings import get_settings

domain = Domain(namespace="maintenance", queue="maintenance_tasks")


@domain.task(
    name="optimize_database",
    payload=Tick,
    retry=MAINTENANCE,
    timeout=3600,
    periodic="0 3 * * 0",  # Sundays 03:00 UTC
)
async def optimize_database(context: JobContext, payload: Tick) -> JSONResult:
    """VACUUM (ANALYZE) the application's and the queue's tables."""
    report = await vacuum_all(database_url())
    return report.as_json()


@domain.task(
    name="cleanup_old_sessions",
    payload=Tick,
    retry=MAINTENANCE,
    timeout=300,
    periodic="0 4 * * *",  # daily 04:00 UTC
)
async def cleanup_old_sessions(context: JobContext, payload: Tick) -> JSONResult:
    """Delete expired user sessions."""
    async with session_scope() as session:
        deleted = await delete_expired_sessions(session)
    return {"deleted": deleted}


@domain.task(
    name="cleanup_old_logs",
    payload=Tick,
    retry=MAINTENANCE,
    timeout=900,
    periodic="30 4 * * *",  # daily 04:30 UTC
)
async def cleanup_old_logs(context: JobContext, payload: Tick) -> JSONResult:
    """Prune orphaned results and errors, heartbeats, AI runs and notifications."""
    settings = get_settings()
    retention = Retention(
        succeeded_hours=settings.succeeded_retention_hours,
        failed_hours=settings.failed_retention_hours,
        heartbeat_days=settings.heartbeat_retention_days,
        ai_run_days=settings.ai_run_retention_days,
        notification_days=settings.notification_retention_days,
    )
    async with session_scope() as session:
        report = await prune_old_records(session, retention)
    return report.as_json()


@domain.task(
    name="record_scheduler_heartbeat",
    payload=Tick,
    retry=NO_RETRY,  # a late heartbeat proves nothing; the next one is 30 minutes away
    timeout=60,
    periodic="*/30 * * * *",  # every 30 minutes
)
async def record_scheduler_heartbeat(context: JobContext, payload: Tick) -> JSONResult:
    """Write a heartbeat row: deferral, worker and database work end to end."""
    now = datetime.now(UTC)
    deferred_at = datetime.fromtimestamp(payload.timestamp, UTC) if payload.timestamp else now
    async with session_scope() as session:
        recorded = await record_heartbeat(
            session,
            job_id=context.job.id or 0,
            deferred_at=deferred_at,
            worker=context.worker_name,
        )
    return {
        "recorded": recorded,
        "deferred_at": deferred_at.isoformat(),
        "lag_s": round((now - deferred_at).total_seconds(), 3),
    }
