"""Fetch a calendar feed only when it changed.

HTTP(S) feeds are fetched conditionally: the stored ETag and Last-Modified go out as
If-None-Match / If-Modified-Since, and a 304 means nothing to do. File feeds use the
file's modification time (nanoseconds) and size as the validator.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from personal_assistant.jobs.retry import PermanentError


class FeedUnavailable(Exception):
    """The feed's server failed or could not be reached; worth trying again later."""


class FeedRejected(PermanentError):
    """The feed's server refused the request (e.g. 404, 401); retrying will not help."""


@dataclass(frozen=True)
class Validators:
    etag: str | None = None
    last_modified: str | None = None
    file_mtime_ns: int | None = None
    file_size: int | None = None


@dataclass(frozen=True)
class Fetched:
    changed: bool
    body: bytes | None
    validators: Validators


def is_http(source: str) -> bool:
    return source.startswith(("http://", "https://"))


def display_source(source: str) -> str:
    """The feed as shown in logs and results: private feed URLs carry a secret in their
    path or query, so only the scheme and host of a URL are shown."""
    if not is_http(source):
        return source
    parts = urlsplit(source)
    return f"{parts.scheme}://{parts.hostname or ''}/…"


async def fetch_http(client: httpx.AsyncClient, url: str, known: Validators) -> Fetched:
    headers = {}
    if known.etag:
        headers["If-None-Match"] = known.etag
    if known.last_modified:
        headers["If-Modified-Since"] = known.last_modified
    try:
        response = await client.get(url, headers=headers, follow_redirects=True)
    except httpx.TransportError as exc:
        raise FeedUnavailable(f"{display_source(url)}: {type(exc).__name__}: {exc}") from exc
    if response.status_code == 304:
        return Fetched(changed=False, body=None, validators=known)
    if response.status_code >= 500 or response.status_code == 429:
        raise FeedUnavailable(f"{display_source(url)} answered HTTP {response.status_code}")
    if response.status_code >= 400 or response.status_code < 200:
        raise FeedRejected(f"{display_source(url)} answered HTTP {response.status_code}")
    return Fetched(
        changed=True,
        body=response.content,
        validators=Validators(
            etag=response.headers.get("ETag"),
            last_modified=response.headers.get("Last-Modified"),
        ),
    )


async def fetch_file(path: str, known: Validators) -> Fetched:
    return await asyncio.to_thread(_read_file, Path(path), known)


def _read_file(path: Path, known: Validators) -> Fetched:
    try:
        info = os.stat(path)
        if (info.st_mtime_ns, info.st_size) == (known.file_mtime_ns, known.file_size):
            return Fetched(changed=False, body=None, validators=known)
        body = path.read_bytes()
    except FileNotFoundError:
        raise FeedRejected(f"{path}: no such file") from None
    except OSError as exc:
        raise FeedRejected(f"{path}: {exc.strerror or exc}") from None
    return Fetched(
        changed=True,
        body=body,
        validators=Validators(file_mtime_ns=info.st_mtime_ns, file_size=info.st_size),
    )
