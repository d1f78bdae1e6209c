"""`berth up`: start the platform and print where to reach it."""

from __future__ import annotations

import asyncio
import logging
import sys

import uvicorn

from gateway.app import create_app
from gateway.auth.tokens import mint_admin_token
from gateway.cli.client import save_credentials
from gateway.cli.context import JsonFlag, settings_or_fail
from gateway.cli.output import console, emit_json
from gateway.platform import Platform


def up(as_json: JsonFlag = False) -> None:
    """Start Berth (embedded mode by default) and print the dashboard URL and a login token."""
    settings = settings_or_fail(as_json)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    async def serve() -> None:
        platform = await Platform.open(settings)
        token = await mint_admin_token(platform.stores.events, platform.codec)
        save_credentials(settings, f"http://127.0.0.1:{settings.port}", token)  # for this user's `berth` CLI
        if as_json:
            emit_json({"dashboard_url": settings.dashboard_url, "token": token, "mode": settings.mode.value,
                       "home": str(settings.home)})
        else:
            console.print(f"[bold]Berth[/bold] is starting in {settings.mode.value} mode (state in {settings.home})")
            console.print(f"Dashboard: [link]{settings.dashboard_url}[/link]")
            console.print(f"Login token (shown once): [bold]{token}[/bold]")
        sys.stdout.flush()
        config = uvicorn.Config(create_app(platform), host=settings.host, port=settings.port, log_level="info")
        await uvicorn.Server(config).serve()  # SIGTERM/SIGINT: the app's lifespan stops the platform

    asyncio.run(serve())
