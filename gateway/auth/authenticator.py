"""Turning a presented token into an Identity, through the users read model.

The read model follows the log a little behind it; a token issued a moment ago (by `berth up`, or a login
that just set a cookie) must work at once, so a miss first brings the users projection up to the head of
the log and looks again. A miss on a read model that is already current costs two small queries.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime

from domain.envelope import utc_now
from domain.users.names import Role
from domain.users.tokens import looks_like_token, same_digest, token_digest
from gateway.auth.credentials import Presented
from gateway.auth.identity import Identity
from infra.readmodel.contract import Doc, ReadModelStore
from projections.users import PROJECTION, TOKENS, USERS


class Authenticator:
    def __init__(self, views: ReadModelStore, catch_up: Callable[[], Awaitable[object]]) -> None:
        self._views = views
        self._catch_up = catch_up
        self._catching_up = asyncio.Lock()

    async def user(self, username: str) -> Doc | None:
        """The user's document, fresh enough to include a user created a moment ago."""
        doc = await self._views.get(PROJECTION, USERS, username)
        if doc is None:
            await self.refresh()
            doc = await self._views.get(PROJECTION, USERS, username)
        return doc

    async def refresh(self) -> None:
        # One catch-up at a time: a burst of bad tokens must not start a burst of log reads.
        async with self._catching_up:
            await self._catch_up()

    async def identify(self, presented: Presented) -> Identity | None:
        if not looks_like_token(presented.token):
            return None
        digest = token_digest(presented.token)
        entry = await self._views.get(PROJECTION, TOKENS, digest)
        if entry is None:
            await self.refresh()
            entry = await self._views.get(PROJECTION, TOKENS, digest)
        if entry is None or not same_digest(digest, str(entry["sha256"])):
            return None
        user = await self._views.get(PROJECTION, USERS, str(entry["username"]))
        return _identity(user, str(entry["token_id"]), presented, utc_now())

    async def first_valid(self, candidates: Iterable[Presented]) -> Identity | None:
        for candidate in candidates:
            identity = await self.identify(candidate)
            if identity is not None:
                return identity
        return None


def _identity(user: Doc | None, token_id: str, presented: Presented, now: datetime) -> Identity | None:
    if user is None or user["blocked"]:
        return None
    token = user["tokens"].get(token_id)
    if token is None or token["revoked"]:
        return None
    if token["expires_at"] is not None and datetime.fromisoformat(token["expires_at"]) <= now:
        return None
    return Identity(username=user["username"], role=Role(user["role"]), token_id=token_id, via=presented.via)

