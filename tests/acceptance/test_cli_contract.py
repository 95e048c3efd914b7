"""The CLI as a new user meets it: settings, errors, times and output, one rule each."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from tests.support.db import query, scalar, table_counts
from tests.support.processes import run_cli
from tests.support.refusal import assert_refused, assert_refused_in_process

BAD_SETTINGS = {
    "PA_WORKER_CONCURRENCY": ('{"ai_tasks":1', "not valid JSON"),
    "PA_NOTIFY_USER_EMAILS": ("{ada: ada@example.com}", "not valid JSON"),
    "PA_LOG_LEVEL": ("LOUD", "'DEBUG', 'INFO', 'WARNING', 'ERROR' or 'CRITICAL'"),
    "PA_LOG_FORMAT": ("yaml", "'text' or 'json'"),
    "PA_CALENDAR_FEEDS": ("[oops", "PA_CALENDAR_FEEDS"),
    "PA_SMTP_PORT": ("smtp", "valid integer"),
}


@pytest.mark.parametrize("variable", sorted(BAD_SETTINGS))
def test_a_bad_setting_is_one_line_naming_it_before_any_command(
    database_url: str, variable: str
) -> None:
    value, expected = BAD_SETTINGS[variable]
    # `tasks` reads no setting by itself: the check happens at start, for every command.
    result = run_cli("tasks", env={variable: value})
    assert result.code == 2, result.err
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert lines[0].startswith(f"error: invalid setting {variable}: ")
    assert expected in lines[0]
    assert "Traceback" not in result.err


def test_the_bare_procrastinate_worker_gives_the_same_line(database_url: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "procrastinate", "--app=personal_assistant.workers.app.app",
         "worker"],
        capture_output=True, text=True, timeout=60,
        env={**os.environ, "PA_SMTP_PORT": "smtp"},
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines() == [
        "error: invalid setting PA_SMTP_PORT: Input should be a valid integer, unable to parse"
        " string as an integer"
    ]


def test_log_level_is_read_in_any_case(database_url: str) -> None:
    assert run_cli("tasks", env={"PA_LOG_LEVEL": "debug"}).code == 0


OPTION_ERRORS = {
    "unknown option": (["defer", "ping", "--bogus"], "No such option: --bogus"),
    "out of range": (["jobs", "list", "--limit", "0"], "Invalid value for '--limit'"),
    "missing argument": (["jobs", "show"], "Missing argument"),
    "unknown command": (["nope"], "No such command 'nope'"),
    "not a number": (["jobs", "show", "one"], "Invalid value"),
}


@pytest.mark.parametrize("case", sorted(OPTION_ERRORS))
def test_option_errors_are_one_line_exit_2(database_url: str, case: str) -> None:
    args, expected = OPTION_ERRORS[case]
    assert_refused(database_url, args, expected)


def test_help_shows_no_type_for_flags(database_url: str) -> None:
    shown = run_cli("jobs", "list", "--help")
    assert shown.code == 0
    assert "<bool>" not in shown.out
    assert "--json" in shown.out


def test_unknown_task_gets_a_did_you_mean(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert_refused_in_process(
        database_url, ["defer", "pign"], "unknown task 'pign'; did you mean 'ping'?", capsys
    )


def test_the_readme_chain_example_pairs_each_then_args_with_its_then(database_url: str) -> None:
    result = run_cli(
        "defer", "ping", "--args", "{}",
        "--then", "ping", "--then-args", '{"message":"b"}',
        "--then", "ping",
    )  # fmt: skip
    assert result.code == 0, result.err
    chain_id = int(result.err.split()[1].rstrip(":"))
    assert result.err.startswith(f"chain {chain_id}: maintenance:ping -> maintenance:ping")
    steps = scalar(database_url, "SELECT steps FROM job_chains WHERE id = %s", chain_id)
    assert [step["args"] for step in steps] == [{}, {"message": "b"}, {}]
    assert int(result.out) == scalar(
        database_url, "SELECT job_id FROM job_chain_steps WHERE chain_id = %s", chain_id
    )


def test_defer_at_prints_the_id_then_the_run_time(database_url: str) -> None:
    result = run_cli("defer", "ping", "--in", "2h")
    assert result.code == 0, result.err
    job_id = int(result.out)
    assert result.err.startswith(f"job {job_id}: maintenance:ping runs at ")
    shown = run_cli("defer", "ping", "--in", "2h", "--json").json()
    at = datetime.fromisoformat(shown["scheduled_at"])
    assert timedelta(minutes=119) < at - datetime.now(UTC) < timedelta(minutes=121)


PAST = {
    "defer --at": (["defer", "ping", "--at", "2020-01-01"], "is in the past"),
    "schedule add": (
        ["schedule", "add", "old", "ping", "2020-01-01T09:00"],
        "has no run after now; give a future time",
    ),
    "ai create": (
        ["ai", "create", "--title", "t", "--instructions", "i", "--schedule", "2020-01-01"],
        "has no run after now; give a future time",
    ),
}


@pytest.mark.parametrize("case", sorted(PAST))
def test_a_past_time_is_refused_everywhere(
    database_url: str, case: str, capsys: pytest.CaptureFixture[str]
) -> None:
    args, expected = PAST[case]
    assert_refused_in_process(database_url, args, expected, capsys)


def test_jobs_list_takes_the_short_task_name(database_url: str) -> None:
    job_id = int(run_cli("defer", "ping").out)
    listed = run_cli("jobs", "list", "--task", "ping", "--json")
    assert [job["id"] for job in listed.json()] == [job_id]
    assert run_cli("jobs", "list", "--task", "maintenance:ping", "--json").json() == listed.json()
    assert_refused(database_url, ["jobs", "list", "--task", "pong"], "unknown task 'pong'")


def test_a_scheduled_job_is_not_updated_in_the_future_and_retry_keeps_its_time(
    database_url: str,
) -> None:
    job_id = int(run_cli("defer", "ping", "--in", "1h").out)
    scheduled = scalar(
        database_url, "SELECT scheduled_at FROM procrastinate_jobs WHERE id = %s", job_id
    )
    [job] = run_cli("jobs", "list", "--json").json()
    assert datetime.fromisoformat(job["updated_at"]) <= datetime.now(UTC)

    assert run_cli("jobs", "cancel", str(job_id)).code == 0
    assert run_cli("jobs", "retry", str(job_id)).code == 0
    after = query(
        database_url,
        "SELECT status::text, scheduled_at FROM procrastinate_jobs WHERE id = %s",
        job_id,
    )
    assert after == [("todo", scheduled)]


def test_jobs_show_prints_args_as_json(database_url: str) -> None:
    job_id = int(run_cli("defer", "ping", "--args", '{"message": "hi", "delay_seconds": 0}').out)
    shown = run_cli("jobs", "show", str(job_id))
    [line] = [line for line in shown.out.splitlines() if line.startswith("args ")]
    assert json.loads(line.removeprefix("args ")) == {"message": "hi", "delay_seconds": 0}


def test_schedule_pause_twice_and_empty_edits_are_refused_like_ai_tasks(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli("schedule", "add", "s", "ping", "every day at 9").code == 0
    assert run_cli("schedule", "pause", "s").code == 0
    assert_refused_in_process(
        database_url, ["schedule", "pause", "s"], "schedule 's' is already paused", capsys
    )
    assert run_cli("schedule", "resume", "s").code == 0
    assert_refused_in_process(
        database_url, ["schedule", "resume", "s"], "schedule 's' is already active", capsys
    )
    assert_refused_in_process(database_url, ["schedule", "edit", "s"], "nothing to change", capsys)

    created = run_cli(
        "ai", "create", "--title", "t", "--instructions", "i", "--schedule", "every day at 9"
    )
    task_id = created.out.split()[0]
    assert run_cli("ai", "pause", task_id).code == 0
    assert_refused_in_process(
        database_url, ["ai", "pause", task_id], "only active tasks can be paused", capsys
    )
    assert_refused_in_process(database_url, ["ai", "update", task_id], "nothing to change", capsys)


NOT_SET_UP = {
    "ai email channel": (
        ["ai", "create", "--title", "t", "--instructions", "i", "--schedule", "tomorrow",
         "--channel", "email"],
        "the email channel needs SMTP: set PA_SMTP_HOST",
    ),
    "ai webhook channel": (
        ["ai", "create", "--title", "t", "--instructions", "i", "--schedule", "tomorrow",
         "--channel", "webhook"],
        "the webhook channel is not configured: set PA_NOTIFY_WEBHOOK_URL",
    ),
    "email send": (
        ["email", "send", "--to", "a@example.com", "--subject", "s", "--body", "b"],
        "SMTP is not configured: set PA_SMTP_HOST",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(NOT_SET_UP))
def test_missing_set_up_is_refused_before_anything_is_written(
    database_url: str, case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("PA_SMTP_HOST", "PA_NOTIFY_WEBHOOK_URL", "PA_NOTIFY_EMAIL_TO"):
        monkeypatch.delenv(name, raising=False)
    args, expected = NOT_SET_UP[case]
    assert_refused(database_url, args, expected)


def test_email_channel_needs_an_address_too(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PA_SMTP_HOST", "127.0.0.1")
    monkeypatch.delenv("PA_NOTIFY_EMAIL_TO", raising=False)
    args = ["ai", "create", "--title", "t", "--instructions", "i", "--schedule", "tomorrow"]
    assert_refused(database_url, [*args, "--channel", "email"], "no email address for user 'me'")
    monkeypatch.setenv("PA_NOTIFY_EMAIL_TO", "me@example.com")
    assert run_cli(*args, "--channel", "email").code == 0


def test_health_says_smtp_is_not_configured(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PA_SMTP_HOST", raising=False)
    checks = {c["name"]: c for c in run_cli("health", "--json").json()["checks"]}
    assert checks["smtp"]["status"] == "warn"
    assert "not configured" in checks["smtp"]["detail"]
    monkeypatch.setenv("PA_SMTP_HOST", "127.0.0.1")
    checks = {c["name"]: c for c in run_cli("health", "--json").json()["checks"]}
    assert checks["smtp"]["status"] == "ok"


def test_an_email_whose_send_job_ended_says_so(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PA_SMTP_HOST", "127.0.0.1")
    outbox_id = int(
        run_cli("email", "send", "--to", "a@example.com", "--subject", "s", "--body", "b").out
    )
    [email] = run_cli("email", "list", "--json").json()
    assert (email["status"], email["job_ended"]) == ("queued", False)
    job_id = scalar(
        database_url, "SELECT id FROM procrastinate_jobs WHERE lock = %s", f"email:{outbox_id}"
    )
    assert run_cli("jobs", "cancel", str(job_id)).code == 0
    [email] = run_cli("email", "list", "--json").json()
    assert email["job_ended"] is True
    assert "send job ended" in run_cli("email", "list").out


def test_ai_show_lists_notification_failures(database_url: str) -> None:
    created = run_cli(
        "ai", "create", "--title", "t", "--instructions", "i", "--schedule", "tomorrow"
    )
    task_id = int(created.out.split()[0])
    # What the delivery job records when a channel fails for good.
    query(
        database_url,
        "INSERT INTO notifications (user_id, channel, subject, body, status, attempts, last_error,"
        " source) VALUES ('me', 'email', 's', 'b', 'failed', 3, 'no email address', %s)"
        " RETURNING id",
        f"ai_task:{task_id}",
    )
    shown = run_cli("ai", "show", str(task_id), "--json").json()
    assert [(n["status"], n["error"]) for n in shown["notification_failures"]] == [
        ("failed", "no email address")
    ]
    assert "no email address" in run_cli("ai", "show", str(task_id)).out


def test_call_plugin_with_an_unknown_plugin_is_refused_at_defer_time(database_url: str) -> None:
    before = table_counts(database_url)
    result = run_cli("defer", "call_plugin", "--args", '{"plugin": "nope"}')
    assert result.code == 2
    assert "no plugin 'nope'" in result.err
    assert table_counts(database_url) == before


def test_breakers_lists_every_known_breaker_and_resets_one_never_opened(database_url: str) -> None:
    listed = run_cli("breakers", "--json").json()
    assert {"calendar", "llm", "notion", "smtp", "webhook"} <= {b["name"] for b in listed}
    assert {b["state"] for b in listed} == {"closed"}
    reset = run_cli("breakers", "reset", "llm")
    assert (reset.code, reset.out.strip()) == (0, "breaker llm: closed")
    assert_refused(
        database_url,
        ["breakers", "reset", "smpt"],
        "no circuit breaker named 'smpt'; did you mean 'smtp'?",
    )
