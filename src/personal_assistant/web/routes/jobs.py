"""``/jobs``: find jobs, open one, act on one, or on many at once."""

from __future__ import annotations

import asyncio
import logging
from typing import Any
from urllib.parse import urlencode

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from personal_assistant.db.session import session_scope
from personal_assistant.errors import BadInput
from personal_assistant.jobs import bulk, inspect, search
from personal_assistant.logs import log_fields
from personal_assistant.settings import QUEUES
from personal_assistant.web import audit
from personal_assistant.web.db import web_session
from personal_assistant.web.jobdetail import related
from personal_assistant.web.pages import act, principal, redirect, refused, render

logger = logging.getLogger("personal_assistant.web")

FILTER_FIELDS = ("status", "queue", "task", "since", "until", "lock", "arg")
PAGE = 50


def _filter_from(values: Any) -> tuple[search.JobFilter, dict[str, str]]:
    raw = {name: str(values.get(name) or "") for name in FILTER_FIELDS}
    flt = search.parse_filter(
        status=raw["status"],
        queue=raw["queue"],
        task=raw["task"],
        since=raw["since"],
        until=raw["until"],
        lock=raw["lock"],
        arg=raw["arg"],
    )
    return flt, raw


def _before(value: str | None) -> int | None:
    if not value:
        return None
    if not value.isdigit() or len(value) > 19:
        raise BadInput("before must be a job id")
    return int(value)


async def jobs_page(request: Request) -> Response:
    try:
        flt, raw = _filter_from(request.query_params)
        before = _before(request.query_params.get("before"))
    except BadInput as exc:
        return refused(request, str(exc))
    async with web_session() as session:
        page = await search.search_jobs(session, flt, before=before, limit=PAGE)
        total = await search.count_jobs(session, flt)
    query = urlencode({k: v for k, v in raw.items() if v})
    template = "_job_rows.html" if request.query_params.get("fragment") == "rows" else "jobs.html"
    return render(
        request,
        template,
        jobs=page.jobs,
        next_before=page.next_before,
        before=before,
        total=total,
        filters=raw,
        query=query,
        statuses=inspect.STATUSES,
        queues=QUEUES,
    )


async def _load_job(request: Request) -> tuple[Any, Any] | Response:
    job_id = request.path_params["job_id"]
    async with web_session() as session:
        try:
            detail = await inspect.get_job(session, job_id)
        except BadInput as exc:
            return refused(request, str(exc), status=404)
        return detail, await related(session, detail.job)


async def job_page(request: Request) -> Response:
    loaded = await _load_job(request)
    if isinstance(loaded, Response):
        return loaded
    detail, links = loaded
    template = "_job_state.html" if request.query_params.get("fragment") == "state" else "job.html"
    return render(request, template, detail=detail, job=detail.job, links=links)


async def job_action(request: Request) -> Response:
    job_id: int = request.path_params["job_id"]
    name: str = request.path_params["action"]

    async def work(session: AsyncSession) -> tuple[int, str]:
        status = await bulk.action_of(name)(session, job_id)
        return 1, f"job {job_id} is {status}"

    back = "/jobs" if name == "delete" else f"/jobs/{job_id}"
    return await act(request, f"job.{name}", f"job {job_id}", work, back=back)


async def bulk_action(request: Request) -> Response:
    """Step one shows what would be touched and asks; step two (``confirm``) runs it."""
    form = await request.form()
    try:
        action = str(form.get("action") or "")
        bulk.action_of(action)
        scope = str(form.get("scope") or "selected")
        flt, raw = _filter_from(form)
        ids = (
            [int(str(v)) for v in form.getlist("ids") if str(v).isdigit()]
            if scope == "selected"
            else None
        )
        if scope == "selected" and not ids:
            raise BadInput("no job selected; tick some jobs, or choose all matching the filter")
        if scope == "filter" and flt.empty:
            raise BadInput("a bulk action on every job needs at least one filter")
    except BadInput as exc:
        return refused(request, str(exc))
    query = urlencode({k: v for k, v in raw.items() if v})
    if form.get("confirm") != "yes":
        async with web_session() as session:
            count = len(ids) if ids is not None else await search.count_jobs(session, flt)
        return render(
            request,
            "bulk_confirm.html",
            action=action,
            scope=scope,
            ids=ids or [],
            filters=raw,
            count=count,
            query=query,
        )
    who = principal(request)
    target = f"{len(ids)} selected job(s)" if ids is not None else f"jobs matching {query}"
    async with session_scope() as session:
        row = await audit.record(session, who, f"jobs.bulk_{action}", target, count=0)
        audit_id = row.id

    async def after_batch(session: AsyncSession, done: int) -> None:
        await audit.add_count(session, audit_id, done)

    task = asyncio.create_task(
        bulk.apply(action, ids=ids, flt=None if ids is not None else flt, after_batch=after_batch)
    )
    running: set[asyncio.Task[Any]] = request.app.state.bulk_tasks
    running.add(task)
    task.add_done_callback(running.discard)
    task.add_done_callback(_log_outcome(action, target, audit_id))
    if ids is not None and len(ids) <= bulk.BATCH:
        await asyncio.shield(task)  # small selections finish before the page comes back
    return redirect(
        request, f"/jobs?{query}", f"{action}: started on {target}; the audit log counts progress"
    )


def _log_outcome(action: str, target: str, audit_id: int) -> Any:
    def done(task: asyncio.Task[bulk.BulkReport]) -> None:
        if task.cancelled():
            return
        error = task.exception()
        if error is not None:
            # Batches already done stay done, and the audit row counts them.
            logger.error(
                "bulk %s on %s stopped: %s",
                action,
                target,
                error,
                extra=log_fields("web_bulk_failed", audit_id=audit_id),
            )
            return
        report = task.result()
        logger.info(
            "bulk %s on %s: %d done, %d skipped",
            action,
            target,
            report.done,
            report.skipped,
            extra=log_fields("web_bulk_done", audit_id=audit_id),
        )

    return done


routes = [
    Route("/jobs", jobs_page),
    Route("/jobs/bulk", bulk_action, methods=["POST"]),
    Route("/jobs/{job_id:int}", job_page),
    Route("/jobs/{job_id:int}/{action:str}", job_action, methods=["POST"]),
]
