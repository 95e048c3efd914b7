"""Hide secret values in job arguments and results before they reach a page."""

from __future__ import annotations

import re
from typing import Any

MASK = "••••••"
SECRET_KEY = re.compile(
    r"pass(word|wd|phrase)?|secret|token|api[_-]?key|auth(orization)?|credential|"
    r"private[_-]?key|cookie|session[_-]?id|signature|bearer",
    re.IGNORECASE,
)
# Credentials inside URLs (scheme://user:password@host).
URL_PASSWORD = re.compile(r"(\w+://[^:/@\s]+:)[^@/\s]+@")


def masked(value: Any) -> Any:
    """``value`` with every secret-looking key's value, and URL passwords, replaced."""
    if isinstance(value, dict):
        return {
            key: MASK if SECRET_KEY.search(str(key)) and value_ is not None else masked(value_)
            for key, value_ in value.items()
        }
    if isinstance(value, list):
        return [masked(item) for item in value]
    if isinstance(value, str):
        return URL_PASSWORD.sub(rf"\1{MASK}@", value)
    return value
