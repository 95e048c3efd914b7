"""Who may look, who may act, and which POSTs are refused before they change anything."""

from __future__ import annotations

import base64

import httpx
import pytest

from personal_assistant.db.session import dispose_engine, session_scope
from personal_assistant.jobs.enqueue import defer
from personal_assistant.jobs.lookup import resolve_task
from tests.integration.web.conftest import ORIGIN, SAME_ORIGIN, csrf_of, execute, make_client
from tests.support.db import job_status, scalar, table_counts
from tests.support.processes import run_cli


def basic(password: str, user: str = "ada") -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


@pytest.fixture
def credentials(monkeypatch: pytest.MonkeyPatch, database_url: str) -> None:
    from tests.support.reset import reset_process_caches

    monkeypatch.setenv("PA_WEB_ADMIN_PASSWORD", "admin-pw")
    monkeypatch.setenv("PA_WEB_READONLY_PASSWORD", "viewer-pw")
    reset_process_caches()


async def _failed_job(database_url: str) -> int:
    async with session_scope() as session:
        job_id = await defer(session, resolve_task("ping"), {"message": "x"})
    execute(database_url, "UPDATE procrastinate_jobs SET status = 'failed' WHERE id = %s", job_id)
    return job_id


async def test_credentials_are_required_when_configured(credentials: None) -> None:
    async with make_client()() as client:
        assert (await client.get("/")).status_code == 401
        assert (await client.get("/", headers=basic("wrong"))).status_code == 401
        assert (await client.get("/", headers=basic("admin-pw"))).status_code == 200
        bearer = {"Authorization": "Bearer viewer-pw"}
        assert (await client.get("/jobs", headers=bearer)).status_code == 200
    await dispose_engine()


async def test_without_credentials_only_loopback_is_served(database_url: str) -> None:
    async with make_client(client_host="10.1.2.3")() as remote:
        assert (await remote.get("/")).status_code == 401
    async with make_client()() as local:
        assert (await local.get("/")).status_code == 200
    await dispose_engine()


async def test_read_only_sees_everything_and_changes_nothing(
    credentials: None, database_url: str
) -> None:
    job_id = await _failed_job(database_url)
    before = table_counts(database_url)
    async with make_client()() as client:
        viewer = basic("viewer-pw", "vera")
        page = await client.get(f"/jobs/{job_id}", headers=viewer)
        assert page.status_code == 200 and "read-only" in page.text
        token = csrf_of(page.text)
        for path in (f"/jobs/{job_id}/retry", f"/jobs/{job_id}/delete", "/breakers/llm/reset"):
            refused = await client.post(
                path, data={"csrf_token": token}, headers={**viewer, **SAME_ORIGIN}
            )
            assert refused.status_code == 403, path
            assert "read-only" in refused.text
    assert job_status(database_url, job_id) == "failed"
    assert table_counts(database_url) == before
    await dispose_engine()


async def test_post_without_token_or_from_elsewhere_is_refused(database_url: str) -> None:
    job_id = await _failed_job(database_url)
    before = table_counts(database_url)
    async with make_client()() as client:
        token = csrf_of((await client.get(f"/jobs/{job_id}")).text)
        attempts = [
            ({}, SAME_ORIGIN),  # no token
            ({"csrf_token": "0" * 64}, SAME_ORIGIN),  # a wrong one
            ({"csrf_token": token}, {"Sec-Fetch-Site": "cross-site"}),
            ({"csrf_token": token}, {"Origin": "http://evil.example"}),
        ]
        for data, headers in attempts:
            refused = await client.post(f"/jobs/{job_id}/retry", data=data, headers=headers)
            assert refused.status_code == 403, (data, headers)
        assert table_counts(database_url) == before
        assert job_status(database_url, job_id) == "failed"
        accepted = await client.post(
            f"/jobs/{job_id}/retry", data={"csrf_token": token}, headers=SAME_ORIGIN
        )
        assert accepted.status_code == 303
        # The htmx path: the token in a header instead of the form.
        header = await client.post(
            f"/jobs/{job_id}/cancel", headers={"X-CSRF-Token": token, "Origin": ORIGIN}
        )
        assert header.status_code == 303
    assert job_status(database_url, job_id) == "cancelled"
    rows = scalar(
        database_url, "SELECT string_agg(action || ':' || actor, ',' ORDER BY id) FROM web_audit"
    )
    assert rows == "job.retry:local,job.cancel:local"
    await dispose_engine()


def test_refuses_to_listen_beyond_loopback_without_credentials(database_url: str) -> None:
    result = run_cli("web", "--host", "0.0.0.0", "--port", "8799", timeout=30)
    assert result.code == 2, result.err
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and "refusing to listen on 0.0.0.0 without credentials" in lines[0]


async def test_mounted_in_a_host_app_with_its_own_auth(database_url: str) -> None:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.routing import Mount

    from personal_assistant.settings import get_settings
    from personal_assistant.web import create_app
    from personal_assistant.web.security import Principal

    async def host_auth(request: Request) -> Principal | None:
        user = request.headers.get("x-host-user")
        if user is None:
            return None
        return Principal(user, "admin" if user == "root" else "readonly")

    dashboard = create_app(get_settings(), auth=host_auth, csrf_secret="s")
    host = Starlette(routes=[Mount("/tasks", app=dashboard)])
    job_id = await _failed_job(database_url)
    transport = httpx.ASGITransport(app=host, client=("10.9.8.7", 5000))  # not loopback
    async with httpx.AsyncClient(transport=transport, base_url=ORIGIN) as client:
        assert (await client.get("/tasks/jobs")).status_code == 401
        page = await client.get(f"/tasks/jobs/{job_id}", headers={"x-host-user": "root"})
        assert page.status_code == 200
        assert 'href="/tasks/jobs"' in page.text and 'src="/tasks/static/' in page.text
        assert 'action="/tasks/jobs/' in page.text
        static = await client.get("/tasks/static/dashboard.css")
        assert static.status_code == 200
        viewer = await client.post(
            f"/tasks/jobs/{job_id}/retry",
            data={"csrf_token": csrf_of(page.text)},
            headers={"x-host-user": "guest", **SAME_ORIGIN},
        )
        assert viewer.status_code == 403
        done = await client.post(
            f"/tasks/jobs/{job_id}/retry",
            data={"csrf_token": csrf_of(page.text)},
            headers={"x-host-user": "root", **SAME_ORIGIN},
        )
        assert done.status_code == 303
        assert done.headers["location"].startswith(f"/tasks/jobs/{job_id}?notice=")
    assert job_status(database_url, job_id) == "todo"
    assert scalar(database_url, "SELECT actor FROM web_audit") == "root"
    await dispose_engine()
