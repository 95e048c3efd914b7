"""Files on ``file_tasks``: temporary-file cleanup and database backups.

Periodic cadences are cron expressions that procrastinate evaluates in UTC.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from procrastinate import JobContext

from personal_assistant.db.session import session_scope
from personal_assistant.db.url import database_url
from personal_assistant.files.backup import create_backup
from personal_assistant.files.cleanup import cleanup_paths
from personal_assistant.files.signing import configured_key
from personal_assistant.jobs.abort import abort_checkpoint
from personal_assistant.jobs.declare import Domain, JSONResult, Tick
from personal_assistant.jobs.inspect import get_job
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
        checkpoint=abort_checkpoint(context),  # an abort stops the sweep in its thread
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
    job_id = context.job.id
    assert job_id is not None  # a job being run has been stored
    # Named after the job and a time every attempt agrees on, so a retry finds the
    # archive an earlier attempt wrote and PA_BACKUP_KEEP counts runs, not attempts.
    result = await create_backup(
        database_url(),
        settings.backup_dir,
        taken_at=await _requested_at(job_id, payload),
        keep=settings.backup_keep,
        method=settings.backup_method,
        job_id=job_id,
        signing_key=configured_key(),
    )
    return result.as_json()


async def _requested_at(job_id: int, payload: Tick) -> datetime:
    """The periodic tick, else when the job was deferred: the same for every attempt."""
    if payload.timestamp:
        return datetime.fromtimestamp(payload.timestamp, UTC)
    async with session_scope() as session:
        deferred = (await get_job(session, job_id)).job.created_at
    return deferred or datetime.now(UTC)
