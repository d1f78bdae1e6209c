"""Who may enter a workspace over SSH: its owner, proven by one of the owner's registered public keys or by
one of the owner's API tokens given as the password. The SSH user name is the workspace id."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from domain.users.tokens import looks_like_token
from gateway.auth.credentials import Presented
from gateway.auth.identity import Identity, Via
from infra.readmodel.contract import Doc
from projections.users import ssh_keys_of

if TYPE_CHECKING:
    from gateway.context import Gateway


class WorkspaceDocs(Protocol):
    async def get(self, workspace_id: str) -> Doc | None: ...

    def invalidate(self, workspace_id: str) -> None: ...


class Users(Protocol):
    async def user(self, username: str) -> Doc | None: ...

    async def identify(self, presented: Presented) -> Identity | None: ...


class Activity(Protocol):
    def touch(self, workspace_id: str, instance_id: str, source: str = ...) -> None: ...


@dataclass
class SshBackend:
    """What the SSH server reads: the workspaces read model, users and tokens, and the activity sampler."""

    workspaces: WorkspaceDocs
    users: Users
    activity: Activity

    @classmethod
    def of(cls, gateway: Gateway) -> SshBackend:
        return cls(gateway.workspaces, gateway.authenticator, gateway.activity)

    async def owner_of(self, workspace_id: str) -> str | None:
        doc = await self.workspaces.get(workspace_id)
        owner = None if doc is None else doc.get("owner")
        return owner if isinstance(owner, str) else None

    async def key_allowed(self, workspace_id: str, fingerprint: str) -> bool:
        """`fingerprint`: the presented key's, OpenSSH's SHA256 form."""
        owner = await self.owner_of(workspace_id)
        if owner is None:
            return False
        user = await self.users.user(owner)
        if user is None or user.get("blocked"):
            return False
        return any(key.get("fingerprint") == fingerprint for key in ssh_keys_of(user).values())

    async def token_allowed(self, workspace_id: str, password: str) -> bool:
        if not looks_like_token(password):
            return False  # a typed password: not worth a read-model lookup
        owner = await self.owner_of(workspace_id)
        if owner is None:
            return False
        # A token checks out exactly as it would in an Authorization header (revoked, expired, blocked).
        identity = await self.users.identify(Presented(password, Via.BEARER))
        return identity is not None and identity.username == owner
