"""SSH public keys of a user (events on the `user-<username>` stream): what the SSH gateway accepts as the
user's identity. Only public keys are ever stored; the fingerprint is OpenSSH's (`SHA256:<base64>`), computed
here from the key so the gateway can match a presented key with one read-model lookup."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import ClassVar

from domain.errors import Conflict, InvalidInput, NotFound
from domain.events import DomainEvent
from domain.users.account import AccountState, evolve_account

MAX_KEYS = 50
MAX_KEY_NAME = 100
MAX_KEY_TEXT = 16 * 1024
# The algorithms OpenSSH clients offer today (DSA is gone from OpenSSH; RSA is checked by the gateway's
# SSH library when it parses the key on login).
KEY_TYPES = frozenset({
    "ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com",
})
_BASE64 = re.compile(r"^[A-Za-z0-9+/]+={0,2}$")


class SshKeyAdded(DomainEvent):
    """`public_key` is the authorized_keys line `<type> <base64>` (the comment is in `name`)."""

    TYPE: ClassVar[str] = "user.ssh_key_added"
    key_id: str
    name: str
    public_key: str
    fingerprint: str


class SshKeyRemoved(DomainEvent):
    TYPE: ClassVar[str] = "user.ssh_key_removed"
    key_id: str


@dataclass(frozen=True, slots=True)
class ParsedKey:
    key_type: str
    blob: bytes
    comment: str

    @property
    def line(self) -> str:
        return f"{self.key_type} {base64.b64encode(self.blob).decode()}"

    @property
    def fingerprint(self) -> str:
        return fingerprint_of(self.blob)


def fingerprint_of(blob: bytes) -> str:
    """OpenSSH's SHA256 fingerprint, as `ssh-keygen -lf` prints it."""
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


def parse_public_key(text: str) -> ParsedKey:
    """One authorized_keys-style line, `<type> <base64> [comment]` (no options). The key's own type inside
    the blob must match the declared one: a mislabelled key is a pasting mistake worth reporting."""
    text = text.strip()
    if len(text) > MAX_KEY_TEXT or "\n" in text:
        raise InvalidInput("public_key must be one line like 'ssh-ed25519 AAAA... comment'", field="public_key")
    parts = text.split(None, 2)
    if len(parts) < 2 or parts[0] not in KEY_TYPES or _BASE64.fullmatch(parts[1]) is None:
        raise InvalidInput(f"public_key must be '<type> <base64> [comment]' with a type of "
                           f"{', '.join(sorted(KEY_TYPES))}", field="public_key")
    try:
        blob = base64.b64decode(parts[1], validate=True)
    except binascii.Error:
        raise InvalidInput("public_key's key is not valid base64", field="public_key") from None
    declared = parts[0].encode()
    if blob[:4] != len(declared).to_bytes(4, "big") or blob[4:4 + len(declared)] != declared:
        raise InvalidInput(f"public_key's data is not a {parts[0]} key", field="public_key")
    return ParsedKey(parts[0], blob, parts[2].strip() if len(parts) > 2 else "")


@dataclass(frozen=True, slots=True)
class SshKeysState(AccountState):
    keys: dict[str, str] = field(default_factory=dict)
    """key_id → fingerprint of the keys not removed."""


@dataclass(frozen=True, slots=True)
class AddSshKey:
    key_id: str
    name: str
    public_key: str


@dataclass(frozen=True, slots=True)
class RemoveSshKey:
    key_id: str


SshKeyCommand = AddSshKey | RemoveSshKey


class SshKeyDecider:
    """Decides on the user stream next to UserDecider (each ignores the other's events)."""

    def initial_state(self) -> SshKeysState:
        return SshKeysState()

    def decide(self, state: SshKeysState, command: SshKeyCommand) -> Sequence[DomainEvent]:
        state.require_user()
        if isinstance(command, RemoveSshKey):
            if command.key_id not in state.keys:
                raise NotFound(f"no SSH key {command.key_id!r}")
            return [SshKeyRemoved(key_id=command.key_id)]
        state.require_unblocked()
        key = parse_public_key(command.public_key)
        if key.fingerprint in state.keys.values():
            raise Conflict(f"this key ({key.fingerprint}) is registered already")
        if len(state.keys) >= MAX_KEYS:
            raise Conflict(f"a user has at most {MAX_KEYS} SSH keys")
        if command.key_id in state.keys:
            raise Conflict(f"SSH key {command.key_id!r} exists")
        name = (command.name.strip() or key.comment or key.key_type)[:MAX_KEY_NAME]
        return [SshKeyAdded(key_id=command.key_id, name=name, public_key=key.line, fingerprint=key.fingerprint)]

    def evolve(self, state: SshKeysState, event: DomainEvent) -> SshKeysState:
        state = evolve_account(state, event)
        if isinstance(event, SshKeyAdded):
            return replace(state, keys={**state.keys, event.key_id: event.fingerprint})
        if isinstance(event, SshKeyRemoved):
            return replace(state, keys={k: v for k, v in state.keys.items() if k != event.key_id})
        return state
