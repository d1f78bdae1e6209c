"""What every route and the proxy share: the platform, the authenticator, the workspace lookup cache and the
activity sampler, plus the settings the gateway reads."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import HTTPConnection

from gateway.auth.authenticator import Authenticator
from gateway.auth.credentials import presented
from gateway.auth.decisions import is_cross_site_write
from gateway.auth.identity import Identity, Via
from gateway.platform import Platform
from gateway.problems import Forbidden, Unauthorized
from gateway.proxy.activity import ActivityRecorder
from gateway.proxy.lookup import WorkspaceLookup
from infra.readmodel.contract import ReadModelStore
from infra.store.contract import EventStore
from projections.runner import ProjectionRunner
from projections.users import UsersProjection
from schemas.codec import EventCodec


def _users_runner(platform: Platform) -> ProjectionRunner:
    for runner in platform.runners:
        if runner.projection.name == UsersProjection.name:
            return runner
    # A platform assembled without it (a test, a tool) still authenticates: a runner of our own catches up.
    return ProjectionRunner(UsersProjection(), platform.stores.events, platform.stores.views, platform.codec)


@dataclass
class Gateway:
    platform: Platform
    authenticator: Authenticator
    workspaces: WorkspaceLookup
    activity: ActivityRecorder
    ide_port: int
    live_streams: int = 0
    """Server-sent event streams open now (each holds a connection and a store waiter)."""

    @classmethod
    def of(cls, platform: Platform) -> Gateway:
        runner = _users_runner(platform)
        ide_port = platform.settings.ide_port
        return cls(
            platform=platform,
            authenticator=Authenticator(platform.stores.views, runner.catch_up),
            workspaces=WorkspaceLookup(platform.stores.views),
            activity=ActivityRecorder(platform.stores.events, platform.codec),
            ide_port=ide_port,
        )

    @property
    def store(self) -> EventStore:
        return self.platform.stores.events

    @property
    def views(self) -> ReadModelStore:
        return self.platform.stores.views

    @property
    def codec(self) -> EventCodec:
        return self.platform.codec

    @property
    def domain(self) -> str:
        return self.platform.settings.domain

    @property
    def public_port(self) -> int:
        return self.platform.settings.port

    async def identity(self, connection: HTTPConnection) -> Identity | None:
        return await self.authenticator.first_valid(presented(connection.headers.items()))

    async def require(self, connection: HTTPConnection) -> Identity:
        identity = await self.identity(connection)
        if identity is None:
            raise Unauthorized("send 'Authorization: Bearer <token>' with a token printed by `berth up`, "
                               "or log in at /login")
        if identity.via is Via.COOKIE and is_cross_site_write(
                connection.scope.get("method", "GET"), connection.headers.get("origin"),
                connection.headers.get("host")):
            raise Forbidden("a cross-site request may not use the session cookie")
        return identity

    async def require_admin(self, connection: HTTPConnection) -> Identity:
        identity = await self.require(connection)
        if not identity.is_admin:
            raise Forbidden("only an admin may do this")
        return identity

    async def close(self) -> None:
        await self.activity.close()
