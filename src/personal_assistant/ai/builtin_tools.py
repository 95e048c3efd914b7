"""The tools every agent has: notify, email, create and list AI tasks, tell the time."""

from __future__ import annotations

from datetime import datetime
from email.utils import parseaddr
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from personal_assistant.ai.lifecycle import check_timezone, create_task, list_tasks, schedule_of
from personal_assistant.ai.tools import ToolContext, ToolError, registry
from personal_assistant.email.outbox import queue_email as queue_outbox_email
from personal_assistant.jobs.retry import PermanentError
from personal_assistant.notifications.channels import email_address_of
from personal_assistant.notifications.service import notify
from personal_assistant.settings import get_settings

Channel = Literal["log", "email", "webhook"]


class Params(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NotificationParams(Params):
    subject: str = Field(min_length=1, max_length=500, description="A short subject line.")
    body: str = Field(min_length=1, description="The message.")
    channel: Channel | None = Field(
        default=None, description="Where to send it; default: the task's channel."
    )


class EmailParams(Params):
    subject: str = Field(min_length=1, max_length=500)
    text: str = Field(min_length=1, description="The plain-text body.")
    to: list[str] | None = Field(
        default=None, description="Recipients; default: the user's own address."
    )


class CreateTaskParams(Params):
    title: str = Field(min_length=1, max_length=200)
    instructions: str = Field(min_length=1, description="What to do when the task runs.")
    schedule: str = Field(
        description="When: 'tomorrow at 9am', 'in 2 hours', 'every weekday at 8:30', cron."
    )
    timezone: str | None = Field(default=None, description="IANA zone; default: this task's.")
    channel: Channel | None = None
    max_runs: int | None = Field(default=None, ge=1)


class ListTasksParams(Params):
    include_finished: bool = Field(
        default=False, description="Also list completed, cancelled and failed tasks."
    )


class TimeParams(Params):
    timezone: str | None = Field(default=None, description="IANA zone; default: the task's.")


def _source(context: ToolContext) -> str:
    return f"ai_task:{context.task.id}"


@registry.tool("send_notification", "Send the user a notification.", NotificationParams)
async def send_notification(context: ToolContext, params: NotificationParams) -> dict[str, Any]:
    notification_id = await notify(
        context.session,
        user_id=context.task.user_id,
        channel=params.channel or context.task.channel,
        subject=params.subject,
        body=params.body,
        source=_source(context),
    )
    return {"notification_id": notification_id}


@registry.tool("queue_email", "Queue an email for sending.", EmailParams)
async def queue_email(context: ToolContext, params: EmailParams) -> dict[str, Any]:
    try:
        owner = email_address_of(context.task.user_id)
    except PermanentError as exc:
        raise ToolError(str(exc)) from None
    to = params.to or [owner]
    _check_recipients(to, owner)
    email_id = await queue_outbox_email(
        context.session, to=to, subject=params.subject, text=params.text
    )
    return {"email_id": email_id, "to": to}


def _check_recipients(to: list[str], owner: str) -> None:
    """The agent writes to the task's owner, and to the operator's PA_AI_EMAIL_RECIPIENTS:
    text the model read (a feed, an email) must not make it mail anyone else."""
    allowed = {_address(owner), *(_address(a) for a in get_settings().ai_email_recipients)}
    for recipient in to:
        if _address(recipient) not in allowed:
            raise ToolError(
                f"may not email {recipient!r}: this assistant emails only "
                f"{', '.join(sorted(allowed))} (the operator lists others in "
                "PA_AI_EMAIL_RECIPIENTS)"
            )


def _address(text: str) -> str:
    return parseaddr(text)[1].strip().lower()


@registry.tool(
    "create_ai_task",
    "Create a scheduled task for the user, e.g. a reminder 'tomorrow at 9am'.",
    CreateTaskParams,
)
async def create_ai_task(context: ToolContext, params: CreateTaskParams) -> dict[str, Any]:
    cap = get_settings().ai_max_tasks_per_run
    if context.budget.tasks_created >= cap:
        raise ToolError(
            f"this run already created {cap} task(s), the most one run may "
            "(PA_AI_MAX_TASKS_PER_RUN)"
        )
    task = await create_task(
        context.session,
        user_id=context.task.user_id,
        title=params.title,
        instructions=params.instructions,
        schedule=params.schedule,
        timezone=params.timezone or context.task.timezone,
        channel=params.channel or context.task.channel,
        max_runs=params.max_runs,
        now=context.now,
    )
    context.budget.tasks_created += 1
    return {
        "id": task.id,
        "schedule": schedule_of(task).describe(),
        "next_run_at": task.next_run_at.isoformat() if task.next_run_at else None,
    }


@registry.tool("list_ai_tasks", "List the user's scheduled tasks.", ListTasksParams)
async def list_ai_tasks(context: ToolContext, params: ListTasksParams) -> dict[str, Any]:
    tasks = await list_tasks(context.session, user_id=context.task.user_id)
    return {
        "tasks": [
            {
                "id": t.id,
                "title": t.title,
                "schedule": schedule_of(t).describe(),
                "status": t.status,
                "next_run_at": t.next_run_at.isoformat() if t.next_run_at else None,
            }
            for t in tasks
            if params.include_finished or t.status in ("active", "paused")
        ]
    }


@registry.tool("current_time", "The current date and time.", TimeParams)
async def current_time(context: ToolContext, params: TimeParams) -> dict[str, Any]:
    zone = check_timezone(params.timezone) or context.task.timezone
    local: datetime = context.now.astimezone(ZoneInfo(zone))
    return {
        "utc": context.now.isoformat(),
        "local": local.isoformat(),
        "timezone": zone,
        "weekday": local.strftime("%A"),
    }
