"""``pa-tasks web``: serve the dashboard."""

from __future__ import annotations

import typer

from personal_assistant.settings import get_settings


def web_command(
    host: str | None = typer.Option(None, help="Address to bind (default PA_WEB_HOST, 127.0.0.1)."),
    port: int | None = typer.Option(
        None, min=1, max=65535, help="Port (default PA_WEB_PORT, 8765)."
    ),
) -> None:
    """Serve the dashboard; off loopback only with credentials configured."""
    import uvicorn

    from personal_assistant.web import create_app
    from personal_assistant.web.security import check_bind

    settings = get_settings()
    bind = host or settings.web_host
    check_bind(bind, settings)
    chosen = port or settings.web_port
    typer.echo(f"dashboard on http://{bind}:{chosen}/", err=True)
    uvicorn.run(
        create_app(settings),
        host=bind,
        port=chosen,
        log_level="warning",
        timeout_graceful_shutdown=3,
    )
