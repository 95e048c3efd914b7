"""Email goes through the outbox to a real SMTP server, exactly once per email."""

from __future__ import annotations

from pathlib import Path

import pytest

from personal_assistant.cli.runtime import in_session
from personal_assistant.email.outbox import queue_email
from personal_assistant.jobs.rescue import rescue_stalled_jobs
from tests.support.db import job_events, job_status, query, scalar
from tests.support.processes import WorkerProcess, run_cli, running_worker, wait_for
from tests.support.reset import reset_process_caches
from tests.support.smtp import smtp_server

OUTBOX_ROW = "SELECT status, attempts, last_error, message_id FROM email_outbox WHERE id = %s"
SEND_JOB = "SELECT id FROM procrastinate_jobs WHERE lock = %s ORDER BY id"


def use_env(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    reset_process_caches()


def send(*args: str) -> int:
    result = run_cli("email", "send", *args)
    assert result.code == 0, result.err
    return int(result.out)


def queue(to: list[str], subject: str, text: str, html: str | None = None) -> int:
    """Queue in this process: the service other parts of the product call."""
    return in_session(lambda s: queue_email(s, to=to, subject=subject, text=text, html=html))


def status_of(url: str, outbox_id: int) -> str:
    return str(scalar(url, "SELECT status FROM email_outbox WHERE id = %s", outbox_id))


@pytest.mark.parametrize("tls", ["none", "starttls", "implicit"])
def test_each_email_arrives_once_with_auth_and_tls(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tls: str
) -> None:
    with smtp_server(tmp_path, tls=tls, auth=True) as (mailbox, env):
        if tls == "none":  # a password in clear is the operator's explicit choice
            env["PA_SMTP_ALLOW_PLAINTEXT_AUTH"] = "true"
        use_env(monkeypatch, env)
        plain = queue(["ada@example.com"], "Plain", "Hello Ada")
        both = queue(["ada@example.com", "bob@example.org"], "Grüße", "Zwei", "<p>Zwei</p>")
        with running_worker(tmp_path, "--queues", "email_tasks"):
            for outbox_id in (plain, both):
                wait_for(lambda o=outbox_id: status_of(database_url, o) == "sent", 30, "sent")

    assert mailbox.data_calls == 2
    rows = {outbox_id: query(database_url, OUTBOX_ROW, outbox_id)[0] for outbox_id in (plain, both)}
    assert sorted(mailbox.message_ids()) == sorted(row[3] for row in rows.values())
    assert all(row[1] == 1 and row[2] is None for row in rows.values())
    by_id = {str(m["Message-ID"]): m for m in mailbox.messages}
    first, second = by_id[rows[plain][3]], by_id[rows[both][3]]
    assert first["X-Envelope-To"] == "ada@example.com"
    assert first.get_content().strip() == "Hello Ada"
    assert second["X-Envelope-To"] == "ada@example.com, bob@example.org"
    assert str(second["Subject"]) == "Grüße"
    assert [part.get_content_type() for part in second.walk()] == [
        "multipart/alternative",
        "text/plain",
        "text/html",
    ]


def test_a_4xx_reply_is_retried_until_delivered(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with smtp_server(tmp_path) as (mailbox, env):
        mailbox.data_replies = ["451 4.3.0 Mail server temporarily busy"]
        use_env(monkeypatch, env)
        outbox_id = queue(["ada@example.com"], "Later", "retry me")
        with running_worker(tmp_path, "--queues", "email_tasks"):
            wait_for(lambda: status_of(database_url, outbox_id) == "sent", 40, "sent")

    assert mailbox.data_calls == 2
    assert len(mailbox.messages) == 1
    status, attempts, last_error, _ = query(database_url, OUTBOX_ROW, outbox_id)[0]
    assert (status, attempts, last_error) == ("sent", 2, None)
    (job_id,) = query(database_url, SEND_JOB, f"email:{outbox_id}")[0]
    assert "deferred_for_retry" in job_events(database_url, job_id)
    assert job_status(database_url, job_id) == "succeeded"


def test_a_5xx_reply_fails_the_email_with_its_reason(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with smtp_server(tmp_path) as (mailbox, env):
        mailbox.rcpt_reply = "550 5.1.1 No such user here"
        use_env(monkeypatch, env)
        outbox_id = queue(["nobody@example.com"], "Lost", "x")
        with running_worker(tmp_path, "--queues", "email_tasks"):
            (job_id,) = query(database_url, SEND_JOB, f"email:{outbox_id}")[0]
            wait_for(lambda: job_status(database_url, job_id) == "failed", 30, "job failed")

    status, attempts, last_error, _ = query(database_url, OUTBOX_ROW, outbox_id)[0]
    assert (status, attempts) == ("failed", 1)
    assert "550 5.1.1 No such user here" in last_error
    assert "deferred_for_retry" not in job_events(database_url, job_id)
    assert mailbox.messages == []
    listed = run_cli("email", "list", "--status", "failed", "--json")
    assert listed.code == 0, listed.err
    assert [(e["id"], e["last_error"]) for e in listed.json()] == [(outbox_id, last_error)]


def test_worker_killed_after_delivery_does_not_send_twice(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with smtp_server(tmp_path) as (mailbox, env):
        # The server keeps the message but holds its "250": the worker dies between
        # the delivery and recording it.
        mailbox.hold = True
        use_env(monkeypatch, env)
        outbox_id = send("--to", "ada@example.com", "--subject", "Once", "--body", "only once")
        (job_id,) = query(database_url, SEND_JOB, f"email:{outbox_id}")[0]

        victim = WorkerProcess(["--queues", "email_tasks", "--name", "victim"], tmp_path / "v.log")
        try:
            wait_for(lambda: len(mailbox.messages) == 1, 30, "the server to have the message")
            victim.kill()
        finally:
            victim.terminate()
        mailbox.release.set()
        assert status_of(database_url, outbox_id) == "sending"

        def rescued() -> bool:
            report = in_session(lambda s: rescue_stalled_jobs(s, stalled_after=3, max_attempts=5))
            return job_id in report.requeued

        wait_for(rescued, 30, "the rescue to requeue the send job", every=1)

        with running_worker(tmp_path, "--queues", "email_tasks", name="survivor"):
            wait_for(lambda: job_status(database_url, job_id) == "failed", 30, "the rerun")
            assert len(mailbox.messages) == 1
            assert mailbox.data_calls == 1
            status, attempts, last_error, message_id = query(database_url, OUTBOX_ROW, outbox_id)[0]
            assert (status, attempts) == ("failed", 1)
            assert "delivery outcome unknown" in last_error
            assert mailbox.message_ids() == [message_id]

            # Re-sending is a person's decision, and the copy carries the same Message-ID.
            mailbox.hold = False
            retried = run_cli("email", "retry", str(outbox_id))
            assert retried.code == 0, retried.err
            wait_for(lambda: status_of(database_url, outbox_id) == "sent", 30, "re-sent")
    assert mailbox.message_ids() == [message_id, message_id]
