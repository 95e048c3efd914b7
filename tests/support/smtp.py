"""A real SMTP server (aiosmtpd) on 127.0.0.1 whose replies a test can script."""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

USERNAME = "assistant"
PASSWORD = "s3cret-pass"


class Mailbox:
    """The server's handler: keeps every accepted message, replies as scripted."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.data_calls = 0
        # Replies for the next DATA commands, in order; once empty, messages are accepted.
        self.data_replies: list[str] = []
        self.rcpt_reply: str | None = None
        self.require_auth = False
        self.auth_attempts = 0
        # Per accepted message: whether its session was encrypted.
        self.tls_sessions: list[bool] = []
        # When set, an accepted message is kept but its "250" waits for ``release``.
        self.hold = False
        self.release = threading.Event()
        self._lock = threading.Lock()

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.require_auth and not session.authenticated:
            return "530 5.7.0 Authentication required"
        with self._lock:
            self.data_calls += 1
            reply = self.data_replies.pop(0) if self.data_replies else "250 2.0.0 Queued"
            if reply.startswith("250"):
                message = email.message_from_bytes(
                    envelope.original_content, policy=email.policy.default
                )
                message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
                self.messages.append(message)
                self.tls_sessions.append(session.ssl is not None)
        if reply.startswith("250") and self.hold:
            await asyncio.to_thread(self.release.wait, 60)
        return reply

    def message_ids(self) -> list[str]:
        return [str(m["Message-ID"]) for m in self.messages]


def _authenticator(mailbox: Mailbox) -> Any:
    def authenticate(
        server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        mailbox.auth_attempts += 1
        return _authenticate(auth_data)

    return authenticate


def _authenticate(auth_data: Any) -> AuthResult:
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == USERNAME.encode()
        and auth_data.password == PASSWORD.encode()
    )
    return AuthResult(success=ok)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def smtp_server(
    tmp_path: Path, *, tls: str = "none", auth: bool = False
) -> Iterator[tuple[Mailbox, dict[str, str]]]:
    """Run a server; yield its mailbox and the worker environment that reaches it.

    ``tls``: ``none``, ``offered`` (STARTTLS offered, not asked for by the settings),
    ``starttls`` (required before AUTH, and asked for) or ``implicit``. The server's
    certificate comes from a throwaway CA that the worker trusts through SSL_CERT_FILE.
    Over ``none``, AUTH works only where the client allows plain-text AUTH.
    """
    mailbox = Mailbox()
    port = free_port()
    env = {"PA_SMTP_HOST": "127.0.0.1", "PA_SMTP_PORT": str(port)}
    kwargs: dict[str, Any] = {}
    if tls != "none":
        ca = trustme.CA()
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("127.0.0.1").configure_cert(context)
        ca_file = tmp_path / "smtp-ca.pem"
        ca.cert_pem.write_to_path(str(ca_file))
        env["SSL_CERT_FILE"] = str(ca_file)
        if tls == "starttls":
            kwargs.update(tls_context=context, require_starttls=True)
            env["PA_SMTP_STARTTLS"] = "true"
        elif tls == "offered":
            kwargs.update(tls_context=context)
        else:
            kwargs.update(ssl_context=context)
            env["PA_SMTP_TLS"] = "true"
    if auth:
        mailbox.require_auth = True
        # aiosmtpd only counts STARTTLS as TLS for AUTH; over implicit TLS, and over plain
        # loopback connections in a test, AUTH must be offered without it.
        kwargs.update(
            authenticator=_authenticator(mailbox), auth_require_tls=tls in ("starttls", "offered")
        )
        env.update(PA_SMTP_USERNAME=USERNAME, PA_SMTP_PASSWORD=PASSWORD)
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    try:
        yield mailbox, env
    finally:
        mailbox.release.set()
        controller.stop()
