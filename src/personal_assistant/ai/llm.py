"""An agent on an OpenAI-compatible chat-completions API, with tool calls.

``POST {base_url}/chat/completions`` with the task's instructions and the tools; each
``tool_calls`` answer is executed and sent back as ``role: "tool"`` messages, for at
most ``PA_LLM_MAX_TOOL_ROUNDS`` rounds, after which the model must answer in text.

Errors: a timeout, a connection error, 429 or 5xx is ``LLMUnavailable`` (the job is
retried with backoff and jitter, and it counts against the "llm" circuit breaker);
another 4xx is ``LLMRejected``, a ``PermanentError``: the run fails without retry.
The API key is sent in the Authorization header only, never logged.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from pydantic import SecretStr

from personal_assistant.ai.agent import Agent, AgentResult, OfflineAgent
from personal_assistant.ai.models import AITask
from personal_assistant.ai.tools import Toolbox
from personal_assistant.jobs.retry import PermanentError
from personal_assistant.resilience.breaker import BreakerPolicy, call_through
from personal_assistant.settings import Settings, get_settings
from personal_assistant.transport import warn_if_cleartext

logger = logging.getLogger("personal_assistant.ai")

BREAKER = "llm"
ERROR_BODY_MAX_CHARS = 200

SYSTEM_PROMPT = """\
You are a personal assistant running a scheduled task for user {user} in the background.
It is now {now} ({zone}). The task is "{title}".
Use the tools to act on the user's behalf when the task asks for it. Finish with a short
message for the user: it is delivered to them on their notification channel."""


class LLMUnavailable(Exception):
    """The language model could not answer now; the run is tried again later."""


class LLMRejected(PermanentError):
    """The language model refused the request."""


@dataclass(frozen=True)
class LLMConfig:
    base_url: str
    model: str
    api_key: SecretStr | None
    timeout_seconds: float
    max_tool_rounds: int
    breaker: BreakerPolicy

    @classmethod
    def from_settings(cls, settings: Settings) -> LLMConfig:
        assert settings.llm_base_url
        return cls(
            base_url=settings.llm_base_url.rstrip("/"),
            model=settings.llm_model,
            api_key=settings.llm_api_key,
            timeout_seconds=settings.llm_timeout_seconds,
            max_tool_rounds=settings.llm_max_tool_rounds,
            breaker=BreakerPolicy(
                failure_threshold=settings.llm_breaker_failures,
                window_seconds=settings.llm_breaker_window_seconds,
                cooldown_seconds=settings.llm_breaker_cooldown_seconds,
            ),
        )


class ChatCompletionsAgent:
    def __init__(self, config: LLMConfig) -> None:
        self.config = config
        if config.api_key is not None:
            warn_if_cleartext(config.base_url, "the language model's API key", logger)

    async def run(self, task: AITask, tools: Toolbox) -> AgentResult:
        messages: list[dict[str, Any]] = [
            {"role": "system", "content": _system_prompt(task, tools.context.now)},
            {"role": "user", "content": task.instructions},
        ]
        async with httpx.AsyncClient(timeout=self.config.timeout_seconds) as client:
            for round_ in range(self.config.max_tool_rounds + 1):
                offer_tools = round_ < self.config.max_tool_rounds
                message = await self._complete(client, messages, tools, offer_tools)
                calls = message.get("tool_calls") or []
                if not calls:
                    return AgentResult(output=_text(message), tool_calls=tools.calls)
                if not offer_tools:
                    break
                messages.append(
                    {"role": "assistant", "content": message.get("content"), "tool_calls": calls}
                )
                for call in calls:
                    function = call.get("function") or {}
                    result = await tools.call(
                        str(function.get("name", "")), function.get("arguments") or "{}"
                    )
                    messages.append(
                        {
                            "role": "tool",
                            "tool_call_id": call.get("id"),
                            "content": json.dumps(result, default=str),
                        }
                    )
        raise LLMRejected(
            f"the model still asked for tools after {self.config.max_tool_rounds} rounds"
        )

    async def _complete(
        self,
        client: httpx.AsyncClient,
        messages: list[dict[str, Any]],
        tools: Toolbox,
        offer_tools: bool,
    ) -> dict[str, Any]:
        payload: dict[str, Any] = {"model": self.config.model, "messages": messages}
        if offer_tools:
            payload["tools"] = tools.schemas()
        headers = {"Content-Type": "application/json"}
        if self.config.api_key is not None:
            headers["Authorization"] = f"Bearer {self.config.api_key.get_secret_value()}"
        url = f"{self.config.base_url}/chat/completions"

        async def post() -> dict[str, Any]:
            try:
                response = await client.post(url, json=payload, headers=headers)
            except httpx.TimeoutException:
                raise LLMUnavailable(
                    f"the language model did not answer within {self.config.timeout_seconds:g} s"
                ) from None
            except httpx.HTTPError as exc:
                raise LLMUnavailable(
                    f"cannot reach the language model ({type(exc).__name__})"
                ) from None
            return _message_of(response)

        return await call_through(
            BREAKER,
            self.config.breaker,
            post,
            counts_as_failure=lambda exc: isinstance(exc, LLMUnavailable),
        )


def _message_of(response: httpx.Response) -> dict[str, Any]:
    status = response.status_code
    if status == 429 or status >= 500:
        raise LLMUnavailable(f"the language model answered HTTP {status}")
    if status >= 400:
        raise LLMRejected(
            f"the language model refused the request: HTTP {status}: {_error_text(response)}"
        )
    try:
        message = response.json()["choices"][0]["message"]
    except (ValueError, KeyError, IndexError, TypeError):
        raise LLMUnavailable("the language model's answer is not a chat completion") from None
    if not isinstance(message, dict):
        raise LLMUnavailable("the language model's answer is not a chat completion")
    return message


def _error_text(response: httpx.Response) -> str:
    try:
        error = response.json().get("error")
        text = error.get("message") if isinstance(error, dict) else str(error or "")
    except (ValueError, AttributeError):
        text = response.text
    return " ".join(str(text).split())[:ERROR_BODY_MAX_CHARS] or "(no detail)"


def _text(message: dict[str, Any]) -> str:
    content = message.get("content")
    return content.strip() if isinstance(content, str) else ""


def _system_prompt(task: AITask, now: datetime) -> str:
    local = now.astimezone(ZoneInfo(task.timezone))
    return SYSTEM_PROMPT.format(
        user=task.user_id,
        now=local.strftime("%A %Y-%m-%d %H:%M"),
        zone=task.timezone,
        title=task.title,
    )


def agent_from_settings() -> Agent:
    """The chat-completions agent, or the offline one when ``PA_LLM_BASE_URL`` is unset."""
    settings = get_settings()
    if not settings.llm_base_url:
        return OfflineAgent()
    return ChatCompletionsAgent(LLMConfig.from_settings(settings))
