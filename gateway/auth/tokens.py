"""Issuing tokens: a random secret shown once, recorded as a `user.token_issued` event with its SHA-256.

`mint_admin_token` is what `berth up` calls: the first call creates the `admin` user, every call hands out
a new token (earlier ones stay valid until revoked).
"""

from __future__ import annotations

import contextlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.envelope import Cause, utc_now
from domain.errors import Conflict
from domain.users.decider import CreateUser, IssueToken, UserDecider
from domain.users.names import Role, user_stream
from domain.users.tokens import TOKEN_PREFIX, token_digest
from gateway.aggregates import execute
from infra.store.contract import EventStore
from schemas.codec import EventCodec

ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token_id: str
    name: str
    token: str
    """The secret itself: returned to the caller once and never stored."""
    expires_at: str | None


def new_secret() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


async def issue_token(store: EventStore, codec: EventCodec, username: str, name: str, cause: Cause,
                      *, lifetime: timedelta | None = None, now: datetime | None = None) -> IssuedToken:
    token = new_secret()
    token_id = uuid.uuid4().hex[:16]
    expires_at = None if lifetime is None else ((now or utc_now()) + lifetime).isoformat()
    await execute(store, codec, user_stream(username), UserDecider(),
                  IssueToken(token_id, name, token_digest(token), expires_at), cause)
    return IssuedToken(token_id, name.strip(), token, expires_at)


async def ensure_user(store: EventStore, codec: EventCodec, username: str, role: Role, cause: Cause) -> None:
    """Create the user unless it exists (whatever its role: an existing account is never changed here)."""
    with contextlib.suppress(Conflict):
        await execute(store, codec, user_stream(username), UserDecider(), CreateUser(username, role.value), cause)


async def mint_admin_token(store: EventStore, codec: EventCodec) -> str:
    cause = Cause("berth up")
    await ensure_user(store, codec, ADMIN, Role.ADMIN, cause)
    issued = await issue_token(store, codec, ADMIN, f"berth up {utc_now():%Y-%m-%d %H:%M:%S}Z", cause)
    return issued.token
