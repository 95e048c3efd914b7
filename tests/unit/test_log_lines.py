"""A text log line shows data without obeying it: no escapes, no forged second line."""

from __future__ import annotations

import logging

from personal_assistant.logs import TextFormatter


def test_text_log_lines_spell_out_control_characters() -> None:
    record = logging.LogRecord(
        "personal_assistant.notifications",
        logging.INFO,
        __file__,
        1,
        "notification for %s: %s",
        ("ada", "Hi\x1b]8;;https://evil.example\x07\n12:00:00 ERROR  forged line\u202e"),
        None,
    )
    line = TextFormatter().format(record)
    assert "\n" not in line and "\x1b" not in line and "\u202e" not in line
    assert "\\x1b]8;;https://evil.example\\x07\\x0a12:00:00 ERROR  forged line\\u202e" in line
