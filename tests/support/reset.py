"""Forget process-wide caches after a test changed the environment."""

from __future__ import annotations


def reset_process_caches() -> None:
    from personal_assistant.db.url import database_url
    from personal_assistant.settings import get_settings

    get_settings.cache_clear()
    database_url.cache_clear()
