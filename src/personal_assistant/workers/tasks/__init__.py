"""Task domains. Each module here exposes ``domain``, a ``Domain`` on its own queue.

Adding a task type means adding a module (or a task to an existing module); nothing
else in the project changes: the app discovers the domains below at import.
"""

from __future__ import annotations

import importlib
import pkgutil

from personal_assistant.workers.declare import Domain


def discover_domains() -> list[Domain]:
    domains: list[Domain] = []
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        domain = getattr(module, "domain", None)
        if isinstance(domain, Domain):
            domains.append(domain)
    return domains
