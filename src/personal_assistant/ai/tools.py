"""Tools an agent may call, in a registry open to new ones.

A tool is a name, a description, a pydantic model of its parameters (sent to the model
as JSON Schema) and an async handler receiving a ``ToolContext`` (the run's session and
task) and the validated parameters. Add one anywhere with::

    @registry.tool("weather", "Tomorrow's forecast for a city.", CityParams)
    async def weather(context: ToolContext, params: CityParams) -> dict[str, Any]: ...

in a module listed in ``PA_AI_TOOL_MODULES``; nothing else changes.

Tool calls run in the run's transaction, each inside a savepoint: their writes commit
with the run's record (a run that is retried does not leave a first attempt's writes
behind), and a tool that fails takes back only its own writes.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from personal_assistant.ai.mcp_tools import McpTool, call_offered
from personal_assistant.ai.models import AITask
from personal_assistant.errors import BadInput
from personal_assistant.jobs.declare import describe_validation_error
from personal_assistant.jobs.retry import PermanentError
from personal_assistant.settings import get_settings

BUILTIN_MODULE = "personal_assistant.ai.builtin_tools"
RESULT_MAX_CHARS = 4000


class ToolError(Exception):
    """The tool could not do what was asked; the message goes back to the model."""


class TooManyToolCalls(PermanentError):
    """The model asked for more tool calls than one run may make."""


@dataclass
class RunBudget:
    """What one run has used of its per-run limits (see the ``ai_max_*`` settings)."""

    tasks_created: int = 0


@dataclass(frozen=True)
class ToolContext:
    session: AsyncSession
    task: AITask
    now: datetime
    budget: RunBudget = field(default_factory=RunBudget)


Handler = Callable[[ToolContext, Any], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    params: type[BaseModel]
    handler: Handler

    def schema(self) -> dict[str, Any]:
        """The tool in the chat-completions ``tools`` format."""
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": self.params.model_json_schema(),
            },
        }


class ToolRegistry:
    def __init__(self) -> None:
        self._tools: dict[str, Tool] = {}

    def register(self, tool: Tool) -> Tool:
        if tool.name in self._tools:
            raise ValueError(f"a tool named {tool.name!r} is already registered")
        self._tools[tool.name] = tool
        return tool

    def tool(
        self, name: str, description: str, params: type[BaseModel]
    ) -> Callable[[Handler], Handler]:
        def decorate(handler: Handler) -> Handler:
            self.register(Tool(name, description, params, handler))
            return handler

        return decorate

    def get(self, name: str) -> Tool | None:
        return self._tools.get(name)

    def __iter__(self) -> Iterator[Tool]:
        return iter(sorted(self._tools.values(), key=lambda t: t.name))


registry = ToolRegistry()


def load_tools() -> ToolRegistry:
    """The registry with the built-in tools and those of ``PA_AI_TOOL_MODULES``."""
    for module in [BUILTIN_MODULE, *get_settings().ai_tool_modules]:
        importlib.import_module(module)
    return registry


@dataclass
class Toolbox:
    """The tools bound to one run; it records every call."""

    registry: ToolRegistry
    context: ToolContext
    calls: list[dict[str, Any]] = field(default_factory=list)
    # MCP tools the task named, by the function name the model calls them by.
    mcp: dict[str, McpTool] = field(default_factory=dict)

    def schemas(self) -> list[dict[str, Any]]:
        return [tool.schema() for tool in self.registry] + [t.schema() for t in self.mcp.values()]

    async def call(self, name: str, arguments: str | dict[str, Any]) -> dict[str, Any]:
        """Run one tool call; a mistake in it is an ``error`` result, not an exception.

        Past PA_AI_MAX_TOOL_CALLS_PER_RUN the run fails: a model that loops, or obeys text
        that tells it to, takes back everything it did in the run (its writes share the
        run's transaction) instead of acting without end.
        """
        cap = get_settings().ai_max_tool_calls_per_run
        if len(self.calls) >= cap:
            raise TooManyToolCalls(
                f"the model made more than {cap} tool calls in one run "
                "(PA_AI_MAX_TOOL_CALLS_PER_RUN); nothing it did was kept"
            )
        mcp = self.mcp.get(name)
        result = await (self._call_mcp(mcp, arguments) if mcp else self._call(name, arguments))
        shown = json.dumps(result, default=str)
        record = {
            "name": name,
            "arguments": arguments if isinstance(arguments, dict) else _loads(arguments),
            "result": result if len(shown) <= RESULT_MAX_CHARS else {"truncated": True},
        }
        if mcp:
            record["mcp"] = f"{mcp.info.server}.{mcp.info.name}"
        self.calls.append(record)
        return result

    async def _call_mcp(self, tool: McpTool, arguments: str | dict[str, Any]) -> dict[str, Any]:
        raw = arguments if isinstance(arguments, dict) else _loads(arguments)
        if not isinstance(raw, dict):
            return {"error": "arguments must be a JSON object"}
        return await call_offered(tool, raw)

    async def _call(self, name: str, arguments: str | dict[str, Any]) -> dict[str, Any]:
        tool = self.registry.get(name)
        if tool is None:
            known = ", ".join(t.name for t in self.registry)
            return {"error": f"unknown tool {name!r}; tools are {known}"}
        raw = arguments if isinstance(arguments, dict) else _loads(arguments)
        if not isinstance(raw, dict):
            return {"error": "arguments must be a JSON object"}
        try:
            params = tool.params.model_validate(raw)
        except ValidationError as exc:
            return {"error": f"invalid arguments: {describe_validation_error(exc)}"}
        session = self.context.session
        try:
            async with session.begin_nested():
                await session.connection()
                return await tool.handler(self.context, params)
        except (BadInput, ToolError) as exc:
            return {"error": str(exc)}


def _loads(text: str) -> Any:
    try:
        return json.loads(text or "{}")
    except json.JSONDecodeError:
        return text
