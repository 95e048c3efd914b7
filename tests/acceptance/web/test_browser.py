"""The dashboard in a real browser: pages, filters, live updates, actions and refusals."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.acceptance.web.conftest import Dashboard, screenshot, start_dashboard
from tests.support.db import job_status, query, scalar
from tests.support.processes import run_cli, running_worker, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    found = context.new_page()
    found.set_default_timeout(15_000)
    yield found
    context.close()


def defer_ping(message: str) -> int:
    result = run_cli("defer", "ping", "--args", json.dumps({"message": message}))
    assert result.code == 0, result.err
    return int(result.out.strip())


def test_overview_and_every_page_load(dashboard: Dashboard, page: Any) -> None:
    from playwright.sync_api import expect

    for i in range(3):
        defer_ping(f"hello {i}")
    page.goto(dashboard.url + "/")
    expect(page.locator("h1")).to_have_text("Overview")
    expect(page.locator("#counts-h")).to_be_visible()
    expect(page.locator("section.charts svg")).to_have_count(4)
    expect(page.locator("#live-state")).to_have_text("live")
    expect(page.locator(".health li").first).to_be_visible()  # verdicts load after the page
    screenshot(page, "overview")
    for path, title in [
        ("/jobs", "Jobs"),
        ("/queues", "Queues"),
        ("/schedules", "Schedules"),
        ("/ai", "AI tasks"),
        ("/email", "Email outbox"),
        ("/breakers", "Circuit breakers"),
        ("/alerts", "Alerts"),
        ("/audit", "Audit log"),
    ]:
        page.goto(dashboard.url + path)
        expect(page.locator("h1")).to_contain_text(title)
        screenshot(page, path.strip("/"))


def test_filter_jobs_by_argument(dashboard: Dashboard, page: Any) -> None:
    from playwright.sync_api import expect

    wanted = defer_ping("needle")
    other = defer_ping("hay")
    page.goto(dashboard.url + "/jobs")
    page.keyboard.press("/")  # the keyboard shortcut focuses the argument filter
    expect(page.locator("#arg-filter")).to_be_focused()
    page.keyboard.type("message:needle")
    page.keyboard.press("Enter")
    expect(page.locator("#match-count")).to_have_text("1 matching")
    expect(page.locator(f'a[href="/jobs/{wanted}"]')).to_be_visible()
    expect(page.locator(f'a[href="/jobs/{other}"]')).to_have_count(0)
    assert "arg=message%3Aneedle" in page.url


def test_failed_job_shows_its_error_then_retry_succeeds_live(
    database_url: str, tmp_path: Path, page: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from playwright.sync_api import expect

    from tests.support.reset import reset_process_caches

    monkeypatch.setenv("PA_COMMAND_ALLOWLIST", "test")
    reset_process_caches()
    flag = tmp_path / "ready"
    result = run_cli(
        "defer", "run_command", "--args", json.dumps({"argv": ["test", "-e", str(flag)]})
    )
    assert result.code == 0, result.err
    job_id = int(result.out.strip())
    dashboard = start_dashboard(tmp_path)
    try:
        with running_worker(tmp_path, "--queues", "maintenance_tasks"):
            wait_for(lambda: job_status(database_url, job_id) == "failed", 60, "the job to fail")
            page.goto(f"{dashboard.url}/jobs/{job_id}")
            expect(page.locator("#job-status")).to_have_text("failed")
            attempt = page.locator("details.attempt").first
            expect(attempt.locator("summary")).to_contain_text("attempt 1")
            expect(attempt.locator(".error-type")).to_be_visible()
            expect(attempt.locator("pre.traceback")).to_contain_text("Traceback")
            screenshot(page, "job-failed")
            page.evaluate("window.__sameDocument = true")
            flag.write_text("ok")
            page.get_by_role("button", name="Retry").click()
            # The worker runs it again; the live stream brings the new status, no reload.
            expect(page.locator("#job-status")).to_have_text("succeeded", timeout=45_000)
            assert page.evaluate("window.__sameDocument === true")
            screenshot(page, "job")
    finally:
        dashboard.stop()
    assert job_status(database_url, job_id) == "succeeded"


def test_bulk_cancel_by_filter(dashboard: Dashboard, database_url: str, page: Any) -> None:
    from playwright.sync_api import expect

    doomed = [defer_ping("bulk-doomed") for _ in range(4)]
    kept = defer_ping("bulk-kept")
    page.goto(dashboard.url + "/jobs?arg=message:bulk-doomed")
    expect(page.locator("#match-count")).to_have_text("4 matching")
    page.select_option("select[name=action]", "cancel")
    page.check("input[name=scope][value=filter]")
    page.get_by_role("button", name="Review…").click()
    expect(page.locator("h1")).to_have_text("Confirm: cancel 4 job(s)?")
    screenshot(page, "bulk-confirm")
    page.get_by_role("button", name=re.compile("Yes, cancel 4")).click()
    wait_for(lambda: {job_status(database_url, j) for j in doomed} == {"cancelled"}, 20, "cancels")
    assert job_status(database_url, kept) == "todo"
    expect(page.locator("#job-rows .s-cancelled")).to_have_count(4, timeout=15_000)
    assert query(database_url, "SELECT action, count FROM web_audit") == [("jobs.bulk_cancel", 4)]


def test_create_ai_task_with_live_schedule_preview(
    dashboard: Dashboard, database_url: str, page: Any
) -> None:
    from playwright.sync_api import expect

    page.goto(dashboard.url + "/ai")
    page.fill("input[name=title]", "Standup")
    page.fill("textarea[name=instructions]", "Summarise my calendar")
    page.fill("input[name=tz]", "Europe/Paris")
    page.locator("input[name=schedule]").press_sequentially("every weekday at 8:30", delay=20)
    expect(page.locator("#preview")).to_contain_text("Monday to Friday")
    expect(page.locator("#preview ol.runs li")).to_have_count(5)
    expect(page.locator("#preview ol.runs li").first).to_contain_text("08:30")
    screenshot(page, "ai-create")
    page.get_by_role("button", name="Create").click()
    expect(page.locator(".notice")).to_contain_text("AI task")
    expect(page.get_by_role("rowheader", name="Standup")).to_be_visible()
    assert scalar(database_url, "SELECT count(*) FROM ai_tasks WHERE status = 'active'") == 1


def test_read_only_role_gets_403(
    database_url: str, tmp_path: Path, browser: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from playwright.sync_api import expect

    job_id = defer_ping("look only")
    env = {"PA_WEB_ADMIN_PASSWORD": "admin-pw", "PA_WEB_READONLY_PASSWORD": "viewer-pw"}
    dashboard = start_dashboard(tmp_path, env)
    context = browser.new_context(http_credentials={"username": "vera", "password": "viewer-pw"})
    try:
        page = context.new_page()
        page.goto(f"{dashboard.url}/jobs/{job_id}")
        expect(page.locator(".who")).to_contain_text("read-only")
        expect(page.get_by_role("button", name="Cancel")).to_be_disabled()
        token = page.locator("input[name=csrf_token]").first.get_attribute("value")
        status = page.evaluate(
            """async ([url, token]) => (await fetch(url, {method: "POST",
                 headers: {"Content-Type": "application/x-www-form-urlencoded"},
                 body: "csrf_token=" + token})).status""",
            [f"{dashboard.url}/jobs/{job_id}/cancel", token],
        )
        assert status == 403
    finally:
        context.close()
        dashboard.stop()
    assert job_status(database_url, job_id) == "todo"
    assert scalar(database_url, "SELECT count(*) FROM web_audit") == 0


def test_post_without_its_token_is_refused(
    dashboard: Dashboard, database_url: str, page: Any
) -> None:
    job_id = defer_ping("keep me")
    page.goto(f"{dashboard.url}/jobs/{job_id}")
    status = page.evaluate(
        """async (url) => (await fetch(url, {method: "POST",
             headers: {"Content-Type": "application/x-www-form-urlencoded"},
             body: "next=/"})).status""",
        f"{dashboard.url}/jobs/{job_id}/cancel",
    )
    assert status == 403
    assert job_status(database_url, job_id) == "todo"
    assert scalar(database_url, "SELECT count(*) FROM web_audit") == 0


def test_dark_theme_renders(dashboard: Dashboard, browser: Any) -> None:
    defer_ping("dark")
    context = browser.new_context(color_scheme="dark", viewport={"width": 1280, "height": 860})
    try:
        page = context.new_page()
        page.goto(dashboard.url + "/jobs")
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        red, green, blue = (int(v) for v in re.findall(r"\d+", background)[:3])
        assert red + green + blue < 120, background
        text = page.evaluate("getComputedStyle(document.body).color")
        assert sum(int(v) for v in re.findall(r"\d+", text)[:3]) > 500, text
        screenshot(page, "jobs-dark")
    finally:
        context.close()


def test_phone_width_keeps_the_page_readable(dashboard: Dashboard, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    try:
        page = context.new_page()
        page.goto(dashboard.url + "/")
        # Wide tables scroll inside their box; the page itself never scrolls sideways.
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        screenshot(page, "overview-phone")
    finally:
        context.close()


def test_status_change_arrives_live_and_pauses_while_hidden(
    dashboard: Dashboard, database_url: str, page: Any
) -> None:
    from playwright.sync_api import expect

    job_id = defer_ping("watch me")
    page.goto(f"{dashboard.url}/jobs/{job_id}")
    expect(page.locator("#live-state")).to_have_text("live")
    page.evaluate("window.__sameDocument = true")
    assert run_cli("jobs", "cancel", str(job_id)).code == 0  # changed behind the page's back
    expect(page.locator("#job-status")).to_have_text("cancelled")
    assert page.evaluate("window.__sameDocument === true")
    hide = """(hidden) => {
        Object.defineProperty(document, "hidden", {value: hidden, configurable: true});
        document.dispatchEvent(new Event("visibilitychange"));
    }"""
    page.evaluate(hide, True)
    expect(page.locator("#live-state")).to_have_text("paused")
    expect(page.locator("#live-source")).to_have_count(0)  # the stream is closed
    page.evaluate(hide, False)
    expect(page.locator("#live-state")).to_have_text("live")


def test_polling_fallback_without_event_source(
    dashboard: Dashboard, database_url: str, browser: Any
) -> None:
    from playwright.sync_api import expect

    job_id = defer_ping("poll me")
    context = browser.new_context()
    context.add_init_script("delete window.EventSource;")
    try:
        page = context.new_page()
        page.goto(f"{dashboard.url}/jobs/{job_id}")
        expect(page.locator("#live-state")).to_have_text("polling")
        assert run_cli("jobs", "cancel", str(job_id)).code == 0
        expect(page.locator("#job-status")).to_have_text("cancelled", timeout=15_000)
    finally:
        context.close()


def test_pause_and_resume_a_queue(dashboard: Dashboard, database_url: str, page: Any) -> None:
    from playwright.sync_api import expect

    page.on("dialog", lambda dialog: dialog.accept())  # the "Pause sync_tasks?" confirmation
    page.goto(dashboard.url + "/queues")
    row = page.locator("tr", has=page.get_by_role("rowheader", name="sync_tasks"))
    expect(page.locator("#queue-state-sync_tasks")).to_contain_text("running")
    row.get_by_role("button", name="Pause").click()
    expect(page.locator("#queue-state-sync_tasks")).to_contain_text("paused")
    expect(page.locator("#queue-state-sync_tasks")).to_contain_text("by local")
    assert scalar(database_url, "SELECT paused FROM queue_controls WHERE queue = 'sync_tasks'")
    screenshot(page, "queues-paused")
    row = page.locator("tr", has=page.get_by_role("rowheader", name="sync_tasks"))
    row.get_by_role("button", name="Resume").click()
    expect(page.locator("#queue-state-sync_tasks")).to_contain_text("running")
    assert not scalar(database_url, "SELECT paused FROM queue_controls WHERE queue = 'sync_tasks'")
    actions = query(database_url, "SELECT action, target FROM web_audit ORDER BY id")
    assert actions == [("queue.pause", "sync_tasks"), ("queue.resume", "sync_tasks")]
