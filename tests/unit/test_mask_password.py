"""Passwords never reach the screen, wherever the URL carries them."""

from __future__ import annotations

import pytest

from personal_assistant.cli.output import mask_password


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://ada:s3cret@db:5432/pa", "postgresql://ada:***@db:5432/pa"),
        ("postgresql://ada@db/pa?password=s3cret", "postgresql://ada@db/pa?password=***"),
        (
            "postgresql:///pa?host=/run/pg&PASSWORD=s3cret&sslmode=require",
            "postgresql:///pa?host=/run/pg&PASSWORD=***&sslmode=require",
        ),
        ("postgresql://db/pa?sslpassword=s3cret", "postgresql://db/pa?sslpassword=***"),
        ("postgresql://ada:p%40ss@db/pa", "postgresql://ada:***@db/pa"),
        ("postgresql://ada:s3cret@db/pa?password=other", "postgresql://ada:***@db/pa?password=***"),
        ("postgresql://ada@db/pa", "postgresql://ada@db/pa"),
        ("postgresql://ada@db/pa?sslmode=require", "postgresql://ada@db/pa?sslmode=require"),
    ],
)
def test_password_is_masked(url: str, shown: str) -> None:
    assert mask_password(url) == shown
    assert "s3cret" not in mask_password(url)
