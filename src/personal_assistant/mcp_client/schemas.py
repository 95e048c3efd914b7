"""Tools as listed by a server, and their arguments checked against the input schema."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import mcp_types
from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import SchemaError

from personal_assistant.mcp_client.errors import InvalidArguments, McpProtocolError

MESSAGE_MAX_CHARS = 300


@dataclass(frozen=True)
class ToolInfo:
    server: str
    name: str
    description: str
    input_schema: dict[str, Any]
    # Annotations are hints from the server; they decide whether a call whose outcome
    # is unknown may be sent again.
    read_only: bool = False
    idempotent: bool = False

    @property
    def safe_to_repeat(self) -> bool:
        return self.read_only or self.idempotent

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "input_schema": self.input_schema,
        }


def tool_info(server: str, tool: mcp_types.Tool) -> ToolInfo:
    hints = tool.annotations
    return ToolInfo(
        server=server,
        name=tool.name,
        description=(tool.description or "").strip(),
        input_schema=dict(tool.input_schema or {"type": "object"}),
        read_only=bool(hints and hints.read_only_hint),
        idempotent=bool(hints and hints.idempotent_hint),
    )


def validate_arguments(tool: ToolInfo, arguments: dict[str, Any]) -> None:
    """Raise InvalidArguments naming the first problem, in one line."""
    cls = validators.validator_for(tool.input_schema, default=Draft202012Validator)
    try:
        cls.check_schema(tool.input_schema)
    except SchemaError as exc:
        raise McpProtocolError(
            f"the input schema of {tool.server}.{tool.name} is not valid JSON Schema: "
            f"{_short(exc.message)}"
        ) from None
    error = next(iter(sorted(cls(tool.input_schema).iter_errors(arguments), key=str)), None)
    if error is None:
        return
    where = "/".join(str(part) for part in error.absolute_path) or "arguments"
    raise InvalidArguments(
        f"invalid arguments for {tool.server}.{tool.name}: {where}: {_short(error.message)}"
    )


def _short(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= MESSAGE_MAX_CHARS else line[: MESSAGE_MAX_CHARS - 1] + "…"
