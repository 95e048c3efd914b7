"""What runs an AI task: any ``Agent``. With no language model configured
(``PA_LLM_BASE_URL`` unset) the offline agent turns the instructions into a reminder;
``ai.llm.agent_from_settings`` chooses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from personal_assistant.ai.models import AITask
    from personal_assistant.ai.tools import Toolbox


@dataclass(frozen=True)
class AgentResult:
    """What the user is told (``output``) and every tool call made on the way."""

    output: str
    tool_calls: list[dict[str, Any]] = field(default_factory=list)


class Agent(Protocol):
    async def run(self, task: AITask, tools: Toolbox) -> AgentResult: ...


class OfflineAgent:
    """No language model: the run delivers the task's instructions as a reminder."""

    async def run(self, task: AITask, tools: Toolbox) -> AgentResult:
        return AgentResult(output=f"Reminder: {task.instructions}", tool_calls=tools.calls)
