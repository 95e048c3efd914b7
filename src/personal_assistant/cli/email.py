"""``pa-tasks email``: queue an email, list the outbox, retry a failed email."""

from __future__ import annotations

import typer

from personal_assistant.cli.output import table, when
from personal_assistant.cli.runtime import in_session, print_json
from personal_assistant.email import outbox
from personal_assistant.email.send import NOT_CONFIGURED
from personal_assistant.errors import BadInput
from personal_assistant.settings import get_settings

app = typer.Typer(help="The email outbox.", no_args_is_help=True)


@app.command("send")
def send(
    to: list[str] = typer.Option(..., "--to", help="A recipient; repeat for several."),
    subject: str = typer.Option(..., "--subject", help="One line."),
    body: str = typer.Option(..., "--body", help="The plain-text message."),
    html: str | None = typer.Option(None, "--html", help="An HTML version of the message."),
) -> None:
    """Queue an email (delivered by a worker on email_tasks) and print its outbox id."""
    if not get_settings().smtp_configured:
        raise BadInput(NOT_CONFIGURED)
    outbox_id = in_session(
        lambda s: outbox.queue_email(s, to=to, subject=subject, text=body, html=html)
    )
    typer.echo(outbox_id)


@app.command("list")
def list_emails(
    status: str | None = typer.Option(None, help="queued, sending, sent or failed."),
    limit: int = typer.Option(50, min=1, max=10_000, help="At most this many, newest first."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List outbox emails, newest first."""
    outbox.check_status(status)
    emails = in_session(lambda s: outbox.list_emails(s, status=status, limit=limit))
    if as_json:
        print_json([email.as_json() for email in emails])
        return
    table(
        "Emails",
        ["id", "status", "to", "subject", "attempts", "created", "sent", "last error"],
        (
            [
                e.id,
                e.shown_status,
                ", ".join(e.recipients),
                e.subject,
                e.attempts,
                when(e.created_at),
                when(e.sent_at),
                e.last_error,
            ]
            for e in emails
        ),
    )


@app.command("retry")
def retry(outbox_id: int = typer.Argument(..., help="A failed email's id.")) -> None:
    """Queue a failed email again; it keeps its Message-ID."""
    job_id = in_session(lambda s: outbox.retry_email(s, outbox_id))
    typer.echo(f"email {outbox_id} is queued (job {job_id})")
