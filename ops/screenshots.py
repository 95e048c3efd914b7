"""Pictures of every dashboard page for the README, from a seeded demo database.

    .venv/bin/python ops/screenshots.py [--out docs/screenshots]

Seeds a day of jobs with their events (as ops/bench/dashboard.py does, smaller), a stored
schedule, an AI task, emails and a tripped breaker through the product's services, serves
`pa-tasks web` and photographs each page with the system's headless Chromium.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parents[1]
sys.path.append(str(ROOT))
sys.path.append(str(ROOT / "ops" / "bench"))

import dashboard as bench  # noqa: E402

SHOTS = [
    ("overview", "/", {}),
    ("jobs", "/jobs?queue=email_tasks", {}),
    ("jobs-dark", "/jobs", {"color_scheme": "dark"}),
    ("job-failed", "/jobs/{failed}", {}),
    ("queues", "/queues", {}),
    ("schedules", "/schedules", {}),
    ("ai", "/ai", {}),
    ("email", "/email", {}),
    ("breakers", "/breakers", {}),
    ("alerts", "/alerts", {}),
    ("audit", "/audit", {}),
    ("overview-phone", "/", {"viewport": {"width": 390, "height": 844}, "is_mobile": True}),
    ("ai-create", "/ai", {}),
    ("bulk-confirm", "/jobs?status=failed&queue=sync_tasks", {}),
]


def act(shot: str, page: Any) -> None:
    """What a user does on the page before its picture is taken."""
    if shot == "ai-create":
        page.fill("input[name=title]", "Weekly review")
        page.fill("textarea[name=instructions]", "List what I finished this week")
        page.fill("input[name=tz]", "Europe/Paris")
        page.locator("input[name=schedule]").press_sequentially("every friday at 17:30", delay=15)
        page.wait_for_selector('#preview ol.runs li:has-text("17:30")')
        page.locator("#ai-create").scroll_into_view_if_needed()
    elif shot == "bulk-confirm":
        page.select_option("select[name=action]", "retry")
        page.check("input[name=scope][value=filter]")
        page.get_by_role("button", name="Review…").click()
        page.wait_for_selector("text=Confirm: retry")


async def domain_rows() -> None:
    from personal_assistant.ai import lifecycle
    from personal_assistant.db.session import dispose_engine, session_scope
    from personal_assistant.email.outbox import queue_email
    from personal_assistant.schedules import service

    async with session_scope() as session:
        await service.add_schedule(
            session,
            name="standup",
            task_name="ping",
            schedule_text="every weekday at 8:30",
            args={"message": "standup"},
            timezone="Europe/Paris",
        )
        await service.add_schedule(
            session,
            name="tidy-downloads",
            task_name="files:cleanup_temp_files",
            schedule_text="every sunday at 22:00",
            args={"dry_run": True},
            timezone="Europe/Paris",
        )
        await lifecycle.create_task(
            session,
            user_id="ada",
            title="Morning briefing",
            instructions="Summarise my calendar and unread mail",
            schedule="every weekday at 7:45",
            timezone="Europe/Paris",
        )
        await lifecycle.create_task(
            session,
            user_id="ada",
            title="Water the plants",
            instructions="Remind me to water the plants",
            schedule="every 3 days at 18:00",
            timezone="Europe/Paris",
        )
        for subject in ("Weekly report", "Invoice 2026-11", "Welcome aboard"):
            await queue_email(session, to=["ada@example.org"], subject=subject, text="Hello")
    await dispose_engine()


DEMO_SQL = """
INSERT INTO procrastinate_workers (last_heartbeat) VALUES (now()), (now() - interval '2 s');
UPDATE procrastinate_jobs SET status = 'doing', worker_id = (SELECT min(id) FROM procrastinate_workers)
 WHERE id IN (SELECT id FROM procrastinate_jobs WHERE status = 'todo' AND queue_name = 'email_tasks'
              ORDER BY id LIMIT 3);
UPDATE procrastinate_jobs SET status = 'doing', worker_id = (SELECT max(id) FROM procrastinate_workers)
 WHERE id IN (SELECT id FROM procrastinate_jobs WHERE status = 'todo' AND queue_name = 'ai_tasks'
              ORDER BY id LIMIT 1);
UPDATE email_outbox SET status = 'failed', attempts = 20,
       last_error = '550 5.1.1 mailbox unavailable' WHERE subject = 'Invoice 2026-11';
UPDATE email_outbox SET status = 'sent', sent_at = now() WHERE subject = 'Welcome aboard';
INSERT INTO circuit_breakers (name, state, failures, window_started_at, opened_at, last_error, updated_at)
VALUES ('llm', 'open', 5, now() - interval '2 min', now() - interval '20 s',
        'ReadTimeout: the LLM server did not answer in 60 s', now()),
       ('smtp', 'closed', 0, NULL, NULL, NULL, now());
INSERT INTO alert_incidents (key, kind, opened_at, last_value, threshold, detail, notified, updated_at)
VALUES ('failure_rate:email_tasks', 'failure_rate', now() - interval '12 min', 0.62, 0.5,
        '31 of 50 jobs failed in the last 15 minutes', true, now()),
       ('oldest_todo:sync_tasks', 'oldest_todo', now() - interval '3 h', 812, 600,
        'oldest due job waited 812 s', true, now());
UPDATE alert_incidents SET resolved_at = now() - interval '2 h' WHERE key = 'oldest_todo:sync_tasks';
INSERT INTO job_errors (job_id, attempt, task_name, queue, error_type, message, traceback,
                        worker, failed_at)
SELECT j.id, a, j.task_name, j.queue_name, 'httpx.ConnectTimeout',
       'timed out connecting to calendar.example.org:443',
       E'Traceback (most recent call last):\n'
       || E'  File "personal_assistant/sync/calendar.py", line 88, in fetch_feed\n'
       || E'    response = await client.get(url, headers=conditional)\n'
       || E'  File "httpx/_client.py", line 1768, in get\n'
       || E'    return await self.request("GET", url, ...)\n'
       || E'httpx.ConnectTimeout: timed out connecting to calendar.example.org:443',
       'worker-1', now() - make_interval(mins => (4 - a) * 3)
  FROM (SELECT max(id) AS id FROM procrastinate_jobs WHERE status = 'failed') f
  JOIN procrastinate_jobs j ON j.id = f.id
 CROSS JOIN generate_series(1, 3) AS a;
INSERT INTO web_audit (actor, role, action, target, count, detail) VALUES
  ('ada', 'admin', 'jobs.bulk_retry', 'jobs matching status=failed&queue=email_tasks', 31, ''),
  ('ada', 'admin', 'breaker.reset', 'smtp', 1, ''),
  ('ada', 'admin', 'queue.pause', 'sync_tasks', 1, '');
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    parser.add_argument("--jobs", type=int, default=20_000)
    args = parser.parse_args()

    from tests.acceptance.web.conftest import chromium_path
    from tests.support.postgres import start_test_server

    from personal_assistant.db import migrate

    server = start_test_server()
    name = "pa_screenshots"
    with psycopg.connect(server.admin_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = server.url_for(name)
    web = None
    try:
        migrate.upgrade(url)
        # A day of history: the demo spreads its jobs over 24 h, not a week.
        bench.seed(url, args.jobs, span_seconds=86400, todo=40)
        os.environ["DATABASE_URL"] = url
        asyncio.run(domain_rows())
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(DEMO_SQL)
            failed = conn.execute(
                "SELECT max(id) FROM procrastinate_jobs WHERE status = 'failed'"
            ).fetchone()
        port = free_port()
        web = subprocess.Popen(
            [sys.executable, "-m", "personal_assistant.cli.main", "web", "--port", str(port)],
            env={**os.environ, "DATABASE_URL": url},
        )
        time.sleep(3)
        from playwright.sync_api import sync_playwright

        Path(args.out).mkdir(parents=True, exist_ok=True)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium_path())
            for shot, path, options in SHOTS:
                context = browser.new_context(
                    **{"viewport": {"width": 1280, "height": 820}, **options}
                )
                page = context.new_page()
                page.goto(
                    f"http://127.0.0.1:{port}" + path.format(failed=failed[0] if failed else 1)
                )
                page.wait_for_timeout(1500)
                act(shot, page)
                page.screenshot(
                    path=str(Path(args.out) / f"{shot}.png"),
                    full_page=shot in ("overview", "job-failed"),
                )
                context.close()
            browser.close()
    finally:
        if web is not None:
            web.terminate()
            web.wait(10)
        server.close()


if __name__ == "__main__":
    main()
