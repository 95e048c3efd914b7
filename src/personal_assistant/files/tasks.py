"""Files on ``file_tasks``: temporary-file cleanup and database backups.

Periodic cadences are cron expressions that procrastinate evaluates in UTC.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from procrastinate import JobContext

from personal_assistant.db.url import database_url
from personal_assistant.files.backup import create_backup
from personal_assistant.files.cleanup import cleanup_paths
from personal_assistant.jobs.declare import Domain, JSONResult, Tick
from personal_assistant.jobs.retry import MAINTENANCE
from personal_assistant.settings import get_settings

domain = Domain(namespace="files", queue="file_tasks")


class CleanupPayload(Tick):
    dry_run: bool = False


@domain.task(
    name="cleanup_temp_files",
    payload=CleanupPayload,
    retry=MAINTENANCE,
    timeout=1800,
    periodic="0 2 * * *",  # daily 02:00 UTC
)
async def cleanup_temp_files(context: JobContext, payload: CleanupPayload) -> JSONResult:
    """Delete files older than PA_CLEANUP_MAX_AGE_HOURS under PA_CLEANUP_DIRS."""
    settings = get_settings()
    report = await asyncio.to_thread(
        cleanup_paths,
        settings.cleanup_dirs,
        timedelta(hours=settings.cleanup_max_age_hours),
        dry_run=payload.dry_run,
    )
    return report.as_json()


@domain.task(
    name="backup_user_data",
    payload=Tick,
    retry=MAINTENANCE,
    timeout=3600,
    periodic="0 1 * * 0",  # Sundays 01:00 UTC
)
async def backup_user_data(context: JobContext, payload: Tick) -> JSONResult:
    """Write a checksummed backup of the application's tables to PA_BACKUP_DIR."""
    settings = get_settings()
    taken_at = (
        datetime.fromtimestamp(payload.timestamp, UTC) if payload.timestamp else datetime.now(UTC)
    )
    result = await create_backup(
        database_url(),
        settings.backup_dir,
        taken_at=taken_at,
        keep=settings.backup_keep,
        method=settings.backup_method,
    )
    return result.as_json()
