"""Task domains. Each module here exposes ``domain``, a ``Domain`` on its own queue.

Adding a task type means adding a module (or a task to an existing module); nothing
else in the project changes: the app discovers the domains below at import.
"""

from __future__ import annotations

import importlib
import pkgutil

from personal_assistant.workers.declare import Domain


def discover_domains(extra_modules: list[str] | None = None) -> list[Domain]:
    """The domains in this package, then those of ``extra_modules`` (import paths)."""
    names = [
        f"{__name__}.{m.name}" for m in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name)
    ]
    domains: list[Domain] = []
    for name in [*names, *(extra_modules or [])]:
        domain = getattr(importlib.import_module(name), "domain", None)
        if isinstance(domain, Domain):
            domains.append(domain)
    return domains
