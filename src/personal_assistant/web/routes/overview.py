"""``/``: the whole system at a glance."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from personal_assistant.db.url import sqlalchemy_url
from personal_assistant.monitoring.health import health_report
from personal_assistant.settings import get_settings
from personal_assistant.web import charts, overview, throughput
from personal_assistant.web.db import web_session
from personal_assistant.web.pages import render


async def overview_page(request: Request) -> Response:
    settings = get_settings()
    async with web_session() as session:
        now: datetime = (await session.execute(text("SELECT now()"))).scalar_one()
        queues = await overview.queue_names(session)
        counts = await overview.capped_counts(session, queues)
        key = sqlalchemy_url()
        hour = await throughput.buckets(session, throughput.HOUR, now, key)
        day = await throughput.buckets(session, throughput.DAY, now, key)
        workers = await overview.workers(session, settings.stalled_after_seconds)
        stalled = await overview.stalled_jobs(session, settings.stalled_after_seconds)
        breakers = [b for b in await overview.breakers(session) if b.state != "closed"]
        alerts = await overview.open_alerts(session)
        controls = await overview.queue_controls(session)
    figures = {
        name: [
            charts.bars(
                f"Jobs finished per {unit} over the last {name}",
                [b.finished for b in data],
                [b.failed for b in data],
                f"finished (failed in red) per {unit}, last {name}",
            ),
            charts.line(
                f"p95 attempt duration per {unit} over the last {name}",
                [b.p95_seconds for b in data],
                f"p95 duration per {unit}, last {name}",
            ),
        ]
        for name, unit, data in (("hour", "minute", hour), ("day", "hour", day))
    }
    totals = {
        "hour": (sum(b.finished for b in hour), sum(b.failed for b in hour)),
        "day": (sum(b.finished for b in day), sum(b.failed for b in day)),
    }
    template = "_overview_live.html" if request.query_params.get("fragment") else "overview.html"
    return render(
        request,
        template,
        counts=counts,
        statuses=("todo", "doing", "succeeded", "failed", "cancelled", "aborting", "aborted"),
        figures=figures,
        totals=totals,
        workers=workers,
        stalled=stalled,
        breakers=breakers,
        alerts=alerts,
        controls=controls,
        concurrency=settings.worker_concurrency,
    )


HEALTH_FRESH_SECONDS = 10.0


async def health_fragment(request: Request) -> Response:
    """The verdicts of ``pa-tasks health``, loaded after the page. They take about a
    second (the schema check compares models with the database), so one report serves
    every viewer for ``HEALTH_FRESH_SECONDS``."""
    cached: tuple[float, Any] | None = getattr(request.app.state, "health", None)
    now = time.monotonic()
    if cached is None or now - cached[0] > HEALTH_FRESH_SECONDS:
        cached = (now, await health_report(get_settings()))
        request.app.state.health = cached
    return render(request, "_health.html", report=cached[1])


routes = [Route("/", overview_page), Route("/health", health_fragment)]
