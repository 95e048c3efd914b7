"""What a failed attempt leaves in ``job_errors``: type, message and a bounded traceback,
with the values of secret settings masked.

An exception's text is untrusted: it may quote a URL with its password, or a token an
HTTP library echoed back. Every configured secret is replaced before anything is stored.
"""

from __future__ import annotations

import traceback as tb
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from pydantic import SecretStr

from personal_assistant.settings import Settings, get_settings

MESSAGE_MAX_CHARS = 2_000
# The end of a traceback says where it failed; its start is the worker's own frames.
TRACEBACK_MAX_CHARS = 8_192
# A huge message must not push every frame out of the kept tail.
TRACEBACK_LINE_MAX_CHARS = 1_000
MASK = "***"
# Shorter values would mask ordinary words.
MIN_SECRET_CHARS = 4


@dataclass(frozen=True)
class FailedAttempt:
    error_type: str
    message: str
    traceback: str


def describe_failure(exc: BaseException, secrets: Iterable[str] = ()) -> FailedAttempt:
    """The stored form of ``exc``: masked, the message capped, the traceback's tail kept."""
    hidden = sorted({s for s in secrets if len(s) >= MIN_SECRET_CHARS}, key=len, reverse=True)
    message = mask(str(exc), hidden)
    trace = "\n".join(
        _capped(line, TRACEBACK_LINE_MAX_CHARS)
        for line in mask("".join(tb.format_exception(exc)), hidden).splitlines()
    )
    message = _capped(message, MESSAGE_MAX_CHARS)
    if len(trace) > TRACEBACK_MAX_CHARS:
        trace = "…" + trace[-(TRACEBACK_MAX_CHARS - 1) :]
    return FailedAttempt(type(exc).__name__, message, trace)


def _capped(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def mask(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, MASK)
    return text


def secret_values(settings: Settings | None = None, urls: Iterable[str] = ()) -> list[str]:
    """Every secret the process is configured with: secret settings and URL passwords
    (of URL-valued settings and of ``urls``, e.g. the embedded database's)."""
    settings = settings or get_settings()
    values = [p for p in map(_password, urls) if p]
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if isinstance(value, SecretStr):
            values.append(value.get_secret_value())
        elif isinstance(value, str) and "://" in value:
            password = _password(value)
            if password:
                values.append(password)
    return values


def _password(url: str) -> str | None:
    try:
        return urlsplit(url).password
    except ValueError:
        return None
