"""The outbox without a worker: bad input, the sweep, and the daily summary's timing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from personal_assistant.db.session import dispose_engine, session_scope
from personal_assistant.email.outbox import queue_email, sweep_outbox
from personal_assistant.email.summary import send_daily_summary
from personal_assistant.jobs.control import cancel_job
from personal_assistant.jobs.enqueue import defer
from personal_assistant.jobs.tasks import ping
from tests.support.db import query, scalar
from tests.support.processes import run_cli
from tests.support.refusal import assert_refused_in_process
from tests.support.reset import reset_process_caches

JOBS_OF = "SELECT id, status::text FROM procrastinate_jobs WHERE lock = %s ORDER BY id"

BAD_INPUT = {
    "bad address": (
        ["send", "--to", "Ada <ada@example.com>", "--subject", "s", "--body", "b"],
        "invalid recipient 'Ada <ada@example.com>': expected a plain address",
    ),
    "multi-line subject": (
        ["send", "--to", "ada@example.com", "--subject", "one\ntwo", "--body", "b"],
        "the subject must be one non-empty line",
    ),
    "empty body": (
        ["send", "--to", "ada@example.com", "--subject", "s", "--body", "  "],
        "the message text is empty",
    ),
    "unknown status": (["list", "--status", "lost"], "unknown email status 'lost'"),
    "unknown email": (["retry", "424242"], "no email with id 424242"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUT))
def test_bad_input_is_one_line_exit_2_nothing_written(
    database_url: str,
    case: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PA_SMTP_HOST", "127.0.0.1")  # configured: the input itself is refused
    reset_process_caches()
    args, expected = BAD_INPUT[case]
    assert_refused_in_process(database_url, ["email", *args], expected, capsys)


def test_send_through_the_cli_prints_the_outbox_id(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PA_SMTP_HOST", "127.0.0.1")
    result = run_cli("email", "send", "--to", "ada@example.com", "--subject", "Hi", "--body", "x")
    assert result.code == 0, result.err
    assert scalar(database_url, "SELECT id FROM email_outbox") == int(result.out)
    listed = run_cli("email", "list", "--json")
    assert [(e["status"], e["recipients"]) for e in listed.json()] == [
        ("queued", ["ada@example.com"])
    ]


async def _queue(to: str = "ada@example.com") -> int:
    async with session_scope() as session:
        return await queue_email(session, to=[to], subject="Hello", text="Body")


async def _sweep() -> tuple[list[int], list[int]]:
    async with session_scope() as session:
        report = await sweep_outbox(session)
    return report.requeued, report.failed


async def test_sweep_requeues_unsent_email_without_a_job(database_url: str) -> None:
    first, second = await _queue(), await _queue("bob@example.com")
    assert await _sweep() == ([], [])  # both have their job waiting

    ((job_id, _),) = query(database_url, JOBS_OF, f"email:{first}")
    async with session_scope() as session:
        await cancel_job(session, job_id)
    assert await _sweep() == ([first], [])
    assert [status for _, status in query(database_url, JOBS_OF, f"email:{first}")] == [
        "cancelled",
        "todo",
    ]
    assert await _sweep() == ([], [])
    assert len(query(database_url, JOBS_OF, f"email:{second}")) == 1
    await dispose_engine()


async def test_sweep_never_resends_an_email_that_may_have_been_delivered(
    database_url: str,
) -> None:
    claimed, handed_over = await _queue(), await _queue("bob@example.com")
    async with session_scope() as session:
        # As a worker killed mid-delivery leaves them, with their jobs gone.
        await session.execute(
            text(
                "UPDATE email_outbox SET status = 'sending', attempts = 1,"
                " handed_over_at = CASE WHEN id = :h THEN now() END WHERE id IN (:c, :h)"
            ),
            {"c": claimed, "h": handed_over},
        )
        for outbox_id in (claimed, handed_over):
            ((job_id, _),) = query(database_url, JOBS_OF, f"email:{outbox_id}")
            await cancel_job(session, job_id)
    assert await _sweep() == ([claimed], [handed_over])
    rows = dict(query(database_url, "SELECT id, status FROM email_outbox"))
    assert rows == {claimed: "queued", handed_over: "failed"}
    error = scalar(database_url, "SELECT last_error FROM email_outbox WHERE id = %s", handed_over)
    assert error.startswith("delivery outcome unknown")
    await dispose_engine()


def _summary_env(monkeypatch: pytest.MonkeyPatch, zone: str) -> None:
    monkeypatch.setenv("PA_USER_TIMEZONE", zone)
    monkeypatch.setenv("PA_SUMMARY_EMAIL_TO", "me@example.com")
    reset_process_caches()


async def test_daily_summary_goes_out_once_at_eight_local_time(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # +05:45: a quarter-hour offset, where an hourly UTC cron would never hit 08:00.
    _summary_env(monkeypatch, "Asia/Kathmandu")
    midnight = datetime(2030, 3, 4, tzinfo=UTC)
    sent = []
    for quarter in range(2 * 24 * 4):  # every periodic run of two days
        at = midnight + timedelta(minutes=15 * quarter)
        async with session_scope() as session:
            if (await send_daily_summary(session, at=at))["sent"]:
                sent.append(at)
    assert sent == [
        datetime(2030, 3, 4, 2, 15, tzinfo=UTC),
        datetime(2030, 3, 5, 2, 15, tzinfo=UTC),
    ]
    assert scalar(database_url, "SELECT count(*) FROM email_outbox") == 2
    assert [
        row[0].isoformat()
        for row in query(database_url, "SELECT local_date FROM email_daily_summaries ORDER BY 1")
    ] == [
        "2030-03-04",
        "2030-03-05",
    ]
    await dispose_engine()


async def test_daily_summary_reports_failed_jobs_and_upcoming_events(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _summary_env(monkeypatch, "Europe/Paris")
    now = datetime.now(UTC)
    async with session_scope() as session:
        job_id = await defer(session, ping, {"message": "doomed"})
        # Started, then failed: the transitions a worker makes, with their events.
        await session.execute(
            text("UPDATE procrastinate_jobs SET status = 'doing' WHERE id = :id"), {"id": job_id}
        )
        await session.execute(
            text("SELECT procrastinate_finish_job_v1(:id, 'failed', false)"), {"id": job_id}
        )
        feed = (
            await session.execute(
                text(
                    "INSERT INTO calendar_feeds (source, event_count) VALUES ('test.ics', 1)"
                    " RETURNING id"
                )
            )
        ).scalar_one()
        await session.execute(
            text(
                "INSERT INTO calendar_events (feed_id, uid, recurrence_id, summary, starts_at,"
                " ends_at, all_day, transparent, content_hash, conflicts)"
                " VALUES (:feed, 'u1', '', 'Dentist', :starts, :ends, false, false, 'h', 0)"
            ),
            {"feed": feed, "starts": now + timedelta(hours=3), "ends": now + timedelta(hours=4)},
        )
    async with session_scope() as session:
        # A minute later: the failure was recorded at the database's clock.
        result = await send_daily_summary(session, at=now + timedelta(minutes=1), force=True)
    assert result["sent"] is True
    async with session_scope() as session:
        again = await send_daily_summary(session, at=now + timedelta(minutes=2), force=True)
    assert again == {"sent": False, "reason": f"already sent for {result['local_date']}"}

    body = scalar(
        database_url, "SELECT text_body FROM email_outbox WHERE id = %s", result["outbox_id"]
    )
    assert "Jobs: 0 succeeded, 1 failed." in body
    assert f"failed: maintenance:ping (job {job_id})" in body
    assert "Dentist" in body
    recipients = scalar(database_url, "SELECT recipients FROM email_outbox")
    assert recipients == ["me@example.com"]
    await dispose_engine()
