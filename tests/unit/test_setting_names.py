"""An invalid setting is reported under the name the operator set."""

from __future__ import annotations

import pytest

from personal_assistant.errors import ConfigError
from personal_assistant.settings import get_settings
from tests.support.reset import reset_process_caches


@pytest.mark.parametrize("name", ["DATABASE_URL", "PA_DATABASE_URL"])
def test_bad_database_url_names_its_variable(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("PA_DATABASE_URL", raising=False)
    monkeypatch.setenv(name, "mysql://nope")
    reset_process_caches()
    try:
        with pytest.raises(ConfigError) as raised:
            get_settings()
    finally:
        monkeypatch.delenv(name)
        reset_process_caches()
    assert str(raised.value).startswith(f"invalid setting {name}: "), raised.value
