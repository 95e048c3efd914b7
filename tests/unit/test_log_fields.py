"""Log fields never collide with ``LogRecord`` attributes, at any call site."""

from __future__ import annotations

import ast
import json
import logging
from pathlib import Path

import personal_assistant
from personal_assistant.logs import JsonFormatter, TextFormatter, log_fields

SRC = Path(personal_assistant.__file__).parent


def test_every_extra_in_the_product_goes_through_log_fields() -> None:
    offenders = []
    for path in sorted(SRC.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.Call):
                continue
            for keyword in node.keywords:
                if keyword.arg != "extra":
                    continue
                value = keyword.value
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    continue  # pydantic's model_config(extra="forbid"), not logging
                helper = isinstance(value, ast.Call) and (
                    getattr(value.func, "id", None) == "log_fields"
                )
                if not helper:
                    offenders.append(f"{path.relative_to(SRC)}:{node.lineno}")
    assert offenders == [], f"extra= not built by log_fields: {offenders}"


def _record(**extra: object) -> logging.LogRecord:
    logger = logging.getLogger("tests.log_fields")
    return logger.makeRecord(
        logger.name, logging.INFO, __file__, 1, "hello %s", ("x",), None, extra=extra
    )


def test_fields_named_like_record_attributes_are_kept_and_harmless() -> None:
    # A backup result has a "name"; a spread of it into extra made logging raise KeyError.
    data = {"name": "backup-1.tar", "msg": "m", "args": [1], "levelname": "x", "message": "y"}
    record = _record(**log_fields("backup_created", data, size=3))

    assert record.getMessage() == "hello x"
    line = json.loads(JsonFormatter().format(record))
    assert line["action"] == "backup_created"
    assert line["message"] == "hello x"  # the record's own message
    assert line["field_message"] == "y"  # the field's, kept under a prefix
    assert line["name"] == "backup-1.tar"
    assert line["msg"] == "m"
    assert line["args"] == [1]
    assert line["size"] == 3
    assert line["logger"] == "tests.log_fields"
    assert "[backup_created]" in TextFormatter().format(record)


def test_keyword_fields_win_over_the_mapping() -> None:
    assert log_fields("a", {"k": 1, "action": "spoof"}, k=2) == {
        "action": "a",
        "fields": {"k": 2, "action": "spoof"},
    }
