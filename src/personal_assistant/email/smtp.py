"""One SMTP transaction, and what its failure means for the message.

The step that matters is the hand-over: until the DATA content is sent, the server
cannot have the message, so any failure is safe to retry. After it, a lost connection
leaves the outcome unknown. A reply code is always definite: 4xx and 5xx mean the
server did not take the message (RFC 5321), at any step.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

import aiosmtplib
from aiosmtplib.email import flatten_message

from personal_assistant.settings import Settings


class TransientRejection(Exception):
    """The server answered 4xx, or could not be reached before the hand-over."""


class PermanentRejection(Exception):
    """The server answered 5xx: this message will not be accepted as it is."""


class OutcomeUnknown(Exception):
    """The connection was lost after the content was handed over."""


@dataclass(frozen=True)
class Outgoing:
    recipients: list[str]
    subject: str
    text_body: str
    html_body: str | None
    message_id: str
    created_at: datetime


def build_message(outgoing: Outgoing, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(outgoing.recipients)
    message["Subject"] = outgoing.subject
    # Date and Message-ID are fixed at queue time: every attempt sends the same message.
    message["Date"] = format_datetime(outgoing.created_at)
    message["Message-ID"] = outgoing.message_id
    # Quoted-printable keeps the body 7-bit clean for servers without 8BITMIME.
    message.set_content(outgoing.text_body, charset="utf-8", cte="quoted-printable")
    if outgoing.html_body:
        message.add_alternative(
            outgoing.html_body, subtype="html", charset="utf-8", cte="quoted-printable"
        )
    return message


def _client(settings: Settings) -> aiosmtplib.SMTP:
    # start_tls None is aiosmtplib's opportunistic mode: STARTTLS whenever the server
    # offers it. Only an explicit PA_SMTP_STARTTLS=false turns it off.
    return aiosmtplib.SMTP(
        hostname=settings.smtp_host,
        port=settings.smtp_port,
        use_tls=settings.smtp_tls,
        start_tls=None if settings.smtp_tls else settings.smtp_starttls,
        timeout=settings.smtp_timeout_seconds,
    )


async def _login(client: aiosmtplib.SMTP, settings: Settings) -> None:
    """Log in when a username is set, never over a plain connection unless allowed."""
    if not settings.smtp_username:
        return
    encrypted = client.get_transport_info("sslcontext") is not None
    if not encrypted and not settings.smtp_allow_plaintext_auth:
        raise TransientRejection(
            f"refusing to send the SMTP password in clear: {settings.smtp_host} offered no "
            "STARTTLS; use PA_SMTP_TLS, or PA_SMTP_ALLOW_PLAINTEXT_AUTH=true to accept it"
        )
    password = settings.smtp_password.get_secret_value() if settings.smtp_password else ""
    await client.login(settings.smtp_username, password)


def _reply(exc: aiosmtplib.SMTPResponseException) -> str:
    return f"{exc.code} {exc.message}".strip()


async def deliver(
    outgoing: Outgoing, settings: Settings, on_handover: Callable[[], Awaitable[None]]
) -> str:
    """Send the message; await ``on_handover`` just before its content goes out.

    Every recipient must be accepted before the content is sent: one refused address
    fails the whole attempt, so an email is never delivered to only some recipients.
    Returns the server's final reply.
    """
    message = build_message(outgoing, settings.smtp_from)
    sender = parseaddr(settings.smtp_from)[1]
    client = _client(settings)
    handed_over = False
    try:
        await client.connect()
        await _login(client, settings)
        await client.mail(sender)
        for recipient in outgoing.recipients:
            await client.rcpt(recipient)
        content = flatten_message(
            message, cte_type="8bit" if client.supports_extension("8bitmime") else "7bit"
        )
        await on_handover()
        handed_over = True
        response = await client.data(content)
    except aiosmtplib.SMTPResponseException as exc:
        if 500 <= exc.code < 600:
            raise PermanentRejection(_reply(exc)) from None
        raise TransientRejection(_reply(exc)) from None
    except (aiosmtplib.SMTPException, OSError) as exc:
        reason = f"{type(exc).__name__}: {exc}".strip()
        if handed_over:
            raise OutcomeUnknown(reason) from None
        raise TransientRejection(reason) from None
    finally:
        await _close(client)
    return f"{response.code} {response.message}".strip()


async def _close(client: aiosmtplib.SMTP) -> None:
    if not client.is_connected:
        return
    try:
        await client.quit(timeout=5)
    except (aiosmtplib.SMTPException, OSError):
        client.close()
