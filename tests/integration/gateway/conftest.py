"""A real gateway over real SQLite stores: the API through httpx's ASGI transport, and a uvicorn server on a
free loopback port for what needs real sockets (the proxy, server-sent events)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette

from domain.envelope import Cause
from domain.users.names import Role
from gateway.app import create_app
from gateway.auth.tokens import ensure_user, issue_token, mint_admin_token
from gateway.context import Gateway
from gateway.platform import Platform
from infra.readmodel.sqlite import SqliteReadModelStore
from infra.settings import Settings
from infra.store.sqlite import SqliteEventStore
from infra.stores import Stores
from schemas.codec import EventCodec


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Berth:
    platform: Platform
    app: Starlette
    admin_token: str

    @property
    def gateway(self) -> Gateway:
        gateway: Gateway = self.app.state.gateway
        return gateway

    async def user_token(self, username: str, role: Role = Role.USER) -> str:
        cause = Cause("test")
        await ensure_user(self.platform.stores.events, self.platform.codec, username, role, cause)
        issued = await issue_token(self.platform.stores.events, self.platform.codec, username, "test", cause)
        return issued.token

    async def project(self) -> None:
        """Bring every read model up to the head of the log (the platform's runners are not started)."""
        for runner in self.platform.runners:
            await runner.catch_up()


@pytest.fixture
async def berth(tmp_path: Path) -> AsyncIterator[Berth]:
    port = free_port()
    settings = Settings(home=tmp_path, port=port, domain="localhost")
    stores = Stores(await SqliteEventStore(settings.database, poll_interval=0.05).open(),
                    await SqliteReadModelStore(settings.database).open())
    platform = Platform(settings, stores, None, None, EventCodec())  # the API alone: no workers, no node
    app = create_app(platform)
    running = Berth(platform, app, await mint_admin_token(stores.events, platform.codec))
    yield running
    await running.gateway.close()
    await stores.close()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
async def api(berth: Berth) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=berth.app)
    async with httpx.AsyncClient(transport=transport, base_url=f"http://localhost:{berth.platform.settings.port}") as c:
        yield c


@contextlib.asynccontextmanager
async def serving(app: Starlette, port: int) -> AsyncIterator[str]:
    """uvicorn on 127.0.0.1:port. No lifespan: the tests drive the read models themselves instead of
    starting the platform's workers."""
    config = uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    async with asyncio.timeout(10):
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@pytest.fixture
async def served(berth: Berth) -> AsyncIterator[str]:
    async with serving(berth.app, berth.platform.settings.port) as url:
        yield url
