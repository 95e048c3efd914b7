"""The stored form of a failure: secrets masked, message capped, the traceback's tail."""

from __future__ import annotations

from pydantic import SecretStr

from personal_assistant.jobs.failures import (
    MESSAGE_MAX_CHARS,
    TRACEBACK_MAX_CHARS,
    describe_failure,
    secret_values,
)
from personal_assistant.settings import Settings


def _raised(exc: BaseException) -> BaseException:
    try:
        raise exc
    except BaseException as caught:
        return caught


def test_secrets_are_masked_in_message_and_traceback() -> None:
    exc = _raised(ValueError("GET https://u:hunter22@api/x?key=abcd-1234 failed"))
    stored = describe_failure(exc, ["hunter22", "abcd-1234", "ab"])
    assert stored.error_type == "ValueError"
    assert stored.message == "GET https://u:***@api/x?key=*** failed"
    assert "hunter22" not in stored.traceback and "abcd-1234" not in stored.traceback
    assert stored.traceback.endswith("ValueError: " + stored.message)


def test_long_message_and_traceback_are_bounded_keeping_the_end() -> None:
    def chained(n: int) -> None:
        try:
            if n > 0:
                chained(n - 1)
            raise KeyError("root")
        except Exception as exc:
            raise RuntimeError(("x" * 10_000) if n == 60 else f"level {n}") from exc

    try:
        chained(60)
    except RuntimeError as exc:
        stored = describe_failure(exc)
    assert len(stored.message) == MESSAGE_MAX_CHARS
    assert len(stored.traceback) == TRACEBACK_MAX_CHARS
    assert stored.traceback.startswith("…")
    # The end, where it failed, survives: its frames and the (capped) exception line.
    assert "in chained\n    raise RuntimeError" in stored.traceback
    assert stored.traceback.endswith("RuntimeError: " + "x" * 985 + "…")


def test_secret_values_cover_secret_settings_and_url_passwords() -> None:
    settings = Settings(
        notion_token=SecretStr("tok-123456"),
        database_url="postgresql://pa:dbpass99@db/pa",
    )
    values = secret_values(settings, urls=["postgresql://x:embedded-pw@/pa?host=/tmp"])
    assert {"tok-123456", "dbpass99", "embedded-pw"} <= set(values)
