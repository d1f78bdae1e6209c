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
from gateway.ssh.access import SshBackend
from gateway.ssh.server import start_ssh_server


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
                       "home": str(settings.home), "ssh_port": settings.ssh_port})
        else:
            console.print(f"[bold]Berth[/bold] is starting in {settings.mode.value} mode (state in {settings.home})")
            console.print(f"Dashboard: [link]{settings.dashboard_url}[/link]")
            console.print(f"Login token (shown once): [bold]{token}[/bold]")
            console.print(f"SSH: ssh <workspace-id>@localhost -p {settings.ssh_port}")
        sys.stdout.flush()
        app = create_app(platform)
        ssh = await start_ssh_server(SshBackend.of(app.state.gateway), host=settings.host, port=settings.ssh_port,
                                     state_dir=settings.home / "ssh")
        try:
            config = uvicorn.Config(app, host=settings.host, port=settings.port, log_level="info")
            await uvicorn.Server(config).serve()  # SIGTERM/SIGINT: the app's lifespan stops the platform
        finally:
            ssh.close()
            await ssh.wait_closed()

    asyncio.run(serve())
