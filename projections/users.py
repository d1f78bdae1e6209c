"""The users read model: one document per user (role, blocked, password hash, tokens without secrets) and an
index from a token's SHA-256 to its user, so authentication is one lookup instead of a scan. SSH public keys
live in the user document (`ssh_keys`, by key id): the SSH gateway knows whose keys to check (the workspace
owner's), so it needs no index. Preferences are in the user document too (`preferences`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from domain.events import Recorded
from domain.users import events as us
from domain.users import ssh_keys as sk
from infra.readmodel.contract import Doc, DocKey

PROJECTION = "users"
USERS = "users"
TOKENS = "tokens"


def username_of(event: Recorded) -> str:
    return event.envelope.stream_id.removeprefix("user-")


class UsersProjection:
    name = PROJECTION
    event_types = frozenset(cls.TYPE for cls in (us.UserCreated, us.UserBlocked, us.TokenIssued, us.TokenRevoked,
                                                 sk.SshKeyAdded, sk.SshKeyRemoved, us.PreferencesChanged))

    def keys(self, event: Recorded) -> Sequence[DocKey]:
        user = DocKey(USERS, username_of(event))
        if isinstance(event.payload, us.TokenIssued):
            return [user, DocKey(TOKENS, event.payload.sha256)]
        return [user]

    def apply(self, event: Recorded, docs: Mapping[DocKey, Doc | None]) -> dict[DocKey, Doc | None]:
        key = DocKey(USERS, username_of(event))
        doc, payload = docs.get(key), event.payload
        at = event.envelope.occurred_at.isoformat()
        if isinstance(payload, us.UserCreated):
            return {key: {"username": payload.username, "role": payload.role, "password_hash": payload.password_hash,
                          "blocked": False, "blocked_reason": None, "created_at": at, "tokens": {}}}
        if doc is None:
            return {}  # an event of a user this read model never saw created
        if isinstance(payload, us.UserBlocked):
            return {key: {**doc, "blocked": True, "blocked_reason": payload.reason}}
        if isinstance(payload, us.TokenIssued):
            token = {"token_id": payload.token_id, "name": payload.name, "created_at": at,
                     "expires_at": payload.expires_at, "revoked": False}
            return {key: {**doc, "tokens": {**doc["tokens"], payload.token_id: token}},
                    DocKey(TOKENS, payload.sha256): {"sha256": payload.sha256, "username": doc["username"],
                                                     "token_id": payload.token_id}}
        if isinstance(payload, us.TokenRevoked) and payload.token_id in doc["tokens"]:
            # The hash index entry stays: the user doc says the token is revoked, and is read on every use.
            revoked = {**doc["tokens"][payload.token_id], "revoked": True}
            return {key: {**doc, "tokens": {**doc["tokens"], payload.token_id: revoked}}}
        if isinstance(payload, sk.SshKeyAdded):
            added = {"key_id": payload.key_id, "name": payload.name, "public_key": payload.public_key,
                     "fingerprint": payload.fingerprint, "created_at": at}
            return {key: {**doc, "ssh_keys": {**ssh_keys_of(doc), payload.key_id: added}}}
        if isinstance(payload, sk.SshKeyRemoved):
            kept = {key_id: k for key_id, k in ssh_keys_of(doc).items() if key_id != payload.key_id}
            return {key: {**doc, "ssh_keys": kept}}
        if isinstance(payload, us.PreferencesChanged):
            return {key: {**doc, "preferences": {"ide": payload.ide}}}
        return {}


def ssh_keys_of(user: Doc) -> dict[str, Doc]:
    """The user's SSH keys by id (documents written before SSH keys existed have none)."""
    keys: dict[str, Doc] = user.get("ssh_keys") or {}
    return keys


def preferences_of(user: Doc) -> dict[str, object]:
    """The user's preferences; None values mean no preference (documents written before preferences had none)."""
    preferences: dict[str, object] = {"ide": None}
    preferences.update(user.get("preferences") or {})
    return preferences
