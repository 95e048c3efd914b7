"""``pa-tasks sync``: run a calendar or Notion sync now, or queue it for a worker."""

from __future__ import annotations

from typing import Any

import typer

from personal_assistant.cli.runtime import console, err_console, in_session, print_json, run
from personal_assistant.jobs.enqueue import JobOptions, defer
from personal_assistant.settings import get_settings
from personal_assistant.sync.calendar import CalendarUnavailable, sync_calendars
from personal_assistant.sync.notion import sync_notion
from personal_assistant.sync.tasks import sync_calendar_events, sync_notion_pages

app = typer.Typer(help="Sync ICS calendars and Notion databases.", no_args_is_help=True)

NOW_HELP = "Run the sync in this process and print its result, instead of queueing a job."


@app.command("calendar")
def calendar_command(
    now: bool = typer.Option(False, "--now", help=NOW_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Sync PA_CALENDAR_FEEDS (queued for a sync_tasks worker unless --now).

    With --now, a run where a feed failed exits 1 after printing its result.
    """
    settings = get_settings()
    if not settings.calendar_feeds:
        err_console.print(
            "note: no calendar feeds configured (PA_CALENDAR_FEEDS is empty); "
            "a sync only removes feeds synced before",
            highlight=False,
            markup=False,
        )
    if not now:
        _queue(sync_calendar_events, "sync:calendar", as_json)
        return
    try:
        report = run(
            sync_calendars(
                settings.calendar_feeds, request_timeout=settings.calendar_timeout_seconds
            )
        )
    except CalendarUnavailable as exc:
        report = exc.report
    result = report.as_json()
    _print_result(result, as_json, ["added", "updated", "removed", "conflicts", "errors"])
    if not as_json:
        for gone in result["removed_feeds"]:
            typer.echo(f"  removed feed {gone['feed']} and its {gone['events']} event(s)")
        for kept in result["kept_feeds"]:
            typer.echo(f"  kept feed {kept} (no longer configured) because this run had errors")
    if result["errors"]:
        raise SystemExit(1)


@app.command("notion")
def notion_command(
    now: bool = typer.Option(False, "--now", help=NOW_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Sync PA_NOTION_DATABASE_IDS (queued for a sync_tasks worker unless --now)."""
    if now:
        settings = get_settings()
        report = run(
            sync_notion(
                token=settings.notion_token.get_secret_value() if settings.notion_token else None,
                database_ids=settings.notion_database_ids,
                base_url=settings.notion_base_url,
                request_timeout=settings.notion_timeout_seconds,
            )
        )
        _print_result(report.as_json(), as_json, ["added", "updated", "unchanged"])
        return
    _queue(sync_notion_pages, "sync:notion", as_json)


def _queue(task: Any, lock: str, as_json: bool) -> None:
    # The queueing lock keeps repeated commands from piling up waiting syncs.
    job_id = in_session(lambda s: defer(s, task, {}, JobOptions(queueing_lock=lock)))
    if as_json:
        print_json({"id": job_id, "task": task.name, "queue": task.queue})
    else:
        typer.echo(job_id)


def _print_result(result: dict[str, Any], as_json: bool, keys: list[str]) -> None:
    if as_json:
        print_json(result)
        return
    console.print(", ".join(f"{key} {result[key]}" for key in keys))
    for pair in result.get("conflict_pairs", []):
        console.print(
            f"  conflict: {pair['a']['summary']!r} and {pair['b']['summary']!r} "
            f"overlap from {pair['overlap_from']}"
        )
    for feed in result.get("feeds", []):
        if feed.get("error"):
            console.print(f"  {feed['feed']}: {feed['error']}")
