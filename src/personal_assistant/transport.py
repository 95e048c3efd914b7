"""Where a secret may travel: a URL in clear (``http://``) is fine on loopback only."""

from __future__ import annotations

import ipaddress
import logging
from urllib.parse import urlsplit

from personal_assistant.logs import log_fields

_warned: set[tuple[str, str]] = set()


def cleartext_off_loopback(url: str) -> bool:
    """True for an ``http://`` URL whose host is not this machine."""
    parts = urlsplit(url)
    if parts.scheme.lower() != "http":
        return False
    host = (parts.hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return False
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return True  # a name: it may resolve anywhere


def warn_if_cleartext(url: str, what: str, logger: logging.Logger) -> None:
    """Log once per process and URL that ``what`` travels unencrypted to another host."""
    if not cleartext_off_loopback(url) or (what, url) in _warned:
        return
    _warned.add((what, url))
    parts = urlsplit(url)
    logger.warning(
        "%s goes to %s://%s over http: it is not encrypted and can be read or changed on "
        "the way; use https",
        what,
        parts.scheme,
        parts.netloc.rpartition("@")[2],
        extra=log_fields("cleartext_url", what=what, host=parts.hostname),
    )
