"""Events of the user stream (`user-<username>`); each mirrors `schemas/avro/<TYPE>/`."""

from __future__ import annotations

from typing import ClassVar

from domain.events import DomainEvent


class UserCreated(DomainEvent):
    """An account exists. `password_hash` is an scrypt hash (see passwords.py), never the password."""

    TYPE: ClassVar[str] = "user.created"
    username: str
    role: str
    password_hash: str | None = None


class UserBlocked(DomainEvent):
    """The user may no longer log in; every token and session of the user stops working at once."""

    TYPE: ClassVar[str] = "user.blocked"
    reason: str | None = None


class TokenIssued(DomainEvent):
    """A token was handed out once; only its SHA-256 is kept, so the log never holds a usable secret."""

    TYPE: ClassVar[str] = "user.token_issued"
    token_id: str
    name: str
    sha256: str
    expires_at: str | None = None


class TokenRevoked(DomainEvent):
    TYPE: ClassVar[str] = "user.token_revoked"
    token_id: str


class PreferencesChanged(DomainEvent):
    """The user's preferences, all of them, after the change (None: no preference, Berth's default applies).
    `ide` is what the user's new workspaces open in when the request does not say (domain.workspace.decider.IDES)."""

    TYPE: ClassVar[str] = "user.preferences_changed"
    ide: str | None = None
