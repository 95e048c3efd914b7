"""Every page renders against a real database, with secrets masked and filters applied."""

from __future__ import annotations

import json

import httpx
import pytest

from personal_assistant.db.session import session_scope
from personal_assistant.jobs import search
from personal_assistant.jobs.enqueue import defer
from personal_assistant.jobs.lookup import resolve_task
from tests.support.db import query, scalar

PAGES = ["/", "/jobs", "/queues", "/schedules", "/ai", "/email", "/breakers", "/alerts", "/audit"]


async def _ping(message: str) -> int:
    async with session_scope() as session:
        return await defer(session, resolve_task("ping"), {"message": message})


@pytest.mark.parametrize("path", PAGES)
async def test_each_page_renders(client: httpx.AsyncClient, path: str) -> None:
    await _ping("hello")
    response = await client.get(path)
    assert response.status_code == 200, response.text
    assert "<main" in response.text
    assert 'sse-connect="/live"' in response.text


async def test_overview_counts_and_charts(client: httpx.AsyncClient) -> None:
    for i in range(3):
        await _ping(f"m{i}")
    page = (await client.get("/")).text
    assert '<svg viewBox="0 0 320' in page
    assert 'href="/jobs?queue=maintenance_tasks&amp;status=todo">3</a>' in page


async def test_jobs_filter_by_argument_and_status(
    client: httpx.AsyncClient, database_url: str
) -> None:
    a = await _ping("alpha")
    b = await _ping("beta")
    page = (await client.get("/jobs", params={"arg": "message:alpha"})).text
    assert f'href="/jobs/{a}"' in page
    assert f'href="/jobs/{b}"' not in page
    assert "1 matching" in page
    page = (await client.get("/jobs", params={"status": "failed"})).text
    assert "No job matches." in page


async def test_keyset_pages_are_disjoint(client: httpx.AsyncClient) -> None:
    ids = [await _ping(f"p{i}") for i in range(55)]
    first = (await client.get("/jobs")).text
    assert f'href="/jobs/{ids[-1]}"' in first
    assert f"before={ids[5]}" in first  # 50 newest shown; the next page starts below
    second = (await client.get("/jobs", params={"before": ids[5]})).text
    assert f'href="/jobs/{ids[0]}"' in second
    assert f'href="/jobs/{ids[5]}"' not in second


async def test_counts_are_capped(database_url: str) -> None:
    async with session_scope() as session:
        for i in range(4):
            await defer(session, resolve_task("ping"), {"message": f"c{i}"})
        assert await search.count_jobs(session, search.JobFilter(), cap=3) == 4  # i.e. "3+"
        assert await search.count_jobs(session, search.JobFilter(), cap=10) == 4


async def test_job_page_masks_secrets(client: httpx.AsyncClient, database_url: str) -> None:
    [(job_id,)] = query(
        database_url,
        "INSERT INTO procrastinate_jobs (queue_name, task_name, args) VALUES"
        " ('maintenance_tasks', 'maintenance:ping', %s) RETURNING id",
        json.dumps({"message": "hi", "api_key": "sk-live-123", "dsn": "postgresql://u:pw9@h/db"}),
    )
    page = (await client.get(f"/jobs/{job_id}")).text
    assert "sk-live-123" not in page and "pw9" not in page
    assert "••••••" in page
    listing = (await client.get("/jobs")).text
    assert "sk-live-123" not in listing


async def test_schedule_preview_uses_the_cli_parser(client: httpx.AsyncClient) -> None:
    page = await client.get(
        "/schedules/preview", params={"schedule": "every weekday at 8:30", "tz": "Europe/Paris"}
    )
    assert page.status_code == 200
    assert "Monday to Friday" in page.text
    assert page.text.count("<li>") == 5
    bad = await client.get("/schedules/preview", params={"schedule": "every blue moon"})
    assert 'class="error"' in bad.text


async def test_unknown_job_is_404(client: httpx.AsyncClient, database_url: str) -> None:
    response = await client.get("/jobs/999999")
    assert response.status_code == 404
    assert scalar(database_url, "SELECT count(*) FROM web_audit") == 0
