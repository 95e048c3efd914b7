"""Call a plugin: a callable registered in the ``personal_assistant.plugins`` entry-point group.

A distribution declares, in its metadata::

    [project.entry-points."personal_assistant.plugins"]
    greet = "my_package.module:greet"

The callable gets the job's JSON kwargs; it may be sync (run in a thread, so the worker's
loop keeps going) or async. Its return value must be JSON: it becomes the job's result.
"""

from __future__ import annotations

import asyncio
import inspect
import json
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from personal_assistant.jobs.retry import PermanentError

GROUP = "personal_assistant.plugins"


class PluginNotFound(PermanentError):
    """No plugin of that name is installed."""


class PluginUnusable(PermanentError):
    """The plugin could not be loaded, or does not accept the arguments given."""


def installed_plugins() -> dict[str, EntryPoint]:
    return {ep.name: ep for ep in entry_points(group=GROUP)}


def find_plugin(name: str) -> EntryPoint:
    plugins = installed_plugins()
    if name not in plugins:
        known = ", ".join(sorted(plugins)) or "none"
        raise PluginNotFound(
            f"no plugin {name!r} in entry-point group {GROUP!r}; installed plugins: {known}"
        )
    return plugins[name]


async def call_plugin(name: str, kwargs: dict[str, Any]) -> Any:
    """Call the plugin with ``kwargs`` and return its (JSON) result."""
    entry = find_plugin(name)
    try:
        target = entry.load()
    except Exception as exc:
        raise PluginUnusable(f"plugin {name!r} ({entry.value}) failed to load: {exc}") from None
    if not callable(target):
        raise PluginUnusable(f"plugin {name!r} ({entry.value}) is not callable")
    try:
        inspect.signature(target).bind(**kwargs)
    except TypeError as exc:
        raise PluginUnusable(f"plugin {name!r} does not accept these arguments: {exc}") from None
    except ValueError:
        pass  # no signature to check (some builtins): let the call decide
    if inspect.iscoroutinefunction(target):
        result = await target(**kwargs)
    else:
        # In a thread, so a blocking plugin does not stall the worker's other jobs. An
        # object with an async __call__ returns its coroutine here: awaited below.
        result = await asyncio.to_thread(target, **kwargs)
        if inspect.isawaitable(result):
            result = await result
    try:
        json.dumps(result)
    except (TypeError, ValueError):
        raise PluginUnusable(
            f"plugin {name!r} returned a {type(result).__name__}, which is not JSON"
        ) from None
    return result
