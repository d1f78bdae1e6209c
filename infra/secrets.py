"""Encryption of secrets that events carry (users' environment variable values): AES-256-GCM with one key per
Berth, so the event log, its Kafka topics and its backups never hold such a value in plain text.

The key is BERTH_SECRETS_KEY (32 bytes, base64 or hex), else `<BERTH_HOME>/secrets.key`, generated on first use
with mode 600: the embedded mode needs no setup. Every process that seals or opens values (the gateway, each
node agent) must have the same key; a value sealed under another key fails to open with an error that says so
(`key_id` names the key: the first 16 hex digits of its SHA-256, which tells nothing about the key itself).

A sealed value is base64(12-byte random nonce || ciphertext || 16-byte tag). The caller's `context` is
authenticated with it (GCM associated data): a value sealed for one user's variable cannot be replayed as
another's, since opening it under another context fails.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import os
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from domain.errors import PermanentError
from domain.users.env_vars import SealedValue
from infra.settings import Settings

KEY_BYTES = 32
NONCE_BYTES = 12
KEY_FILE = "secrets.key"


class SecretsKeyError(PermanentError):
    """The configured key is unusable (wrong length or encoding, unreadable key file)."""


class UndecryptableSecret(PermanentError):
    """A sealed value does not open with this key: sealed under another key, for another context, or altered."""


@dataclass(frozen=True)
class SecretBox:
    key: bytes

    def __post_init__(self) -> None:
        if len(self.key) != KEY_BYTES:
            raise SecretsKeyError(f"a secrets key has {KEY_BYTES} bytes, got {len(self.key)}")

    def __repr__(self) -> str:
        return f"SecretBox(key_id={self.key_id!r})"  # never the key

    @property
    def key_id(self) -> str:
        return hashlib.sha256(self.key).hexdigest()[:16]

    def seal(self, plaintext: str, context: str) -> SealedValue:
        nonce = secrets.token_bytes(NONCE_BYTES)
        sealed = AESGCM(self.key).encrypt(nonce, plaintext.encode("utf-8", "surrogatepass"), context.encode())
        return SealedValue(base64.b64encode(nonce + sealed).decode("ascii"), self.key_id)

    def open(self, value: SealedValue, context: str) -> str:
        if value.key_id != self.key_id:
            raise UndecryptableSecret(
                f"sealed with the secrets key {value.key_id}, but this Berth's key is {self.key_id} "
                "(BERTH_SECRETS_KEY or <BERTH_HOME>/secrets.key changed?)")
        try:
            raw = base64.b64decode(value.encrypted_value, validate=True)
            if len(raw) < NONCE_BYTES + 16:
                raise ValueError("too short")
            opened = AESGCM(self.key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], context.encode())
        except (InvalidTag, ValueError, binascii.Error):
            raise UndecryptableSecret("the sealed value does not open with this key: it was altered, or sealed "
                                      "for another variable") from None
        return opened.decode("utf-8", "surrogatepass")


def env_var_context(username: str, name: str, repository_pattern: str) -> str:
    """What a user's variable value is bound to (see the module's doc and schemas/avro/user.env_var_set)."""
    return f"berth env var\0{username}\0{name}\0{repository_pattern}"


def parse_key(text: str) -> bytes:
    """32 bytes as 64 hex digits or as base64 (standard or URL-safe, padded or not)."""
    text = text.strip()
    if len(text) == 2 * KEY_BYTES:
        with contextlib.suppress(ValueError):
            return bytes.fromhex(text)
    try:
        key = base64.urlsafe_b64decode(text.replace("+", "-").replace("/", "_") + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != KEY_BYTES:
        raise SecretsKeyError(f"BERTH_SECRETS_KEY must be {KEY_BYTES} bytes as base64 or 64 hex digits "
                              "(e.g. the output of `openssl rand -base64 32`)")
    return key


def load_or_create_key_file(path: Path) -> bytes:
    """The key in `path`, created (mode 600, atomically: concurrent first starts agree on one key) if missing."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "w") as file:
                file.write(base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode() + "\n")
            with contextlib.suppress(FileExistsError):
                os.link(temporary, path)  # fails if another process made one first: theirs is the key
        finally:
            temporary.unlink(missing_ok=True)
    try:
        text = path.read_text()
    except OSError as error:
        raise SecretsKeyError(f"cannot read the secrets key {path}: {error.strerror or error}") from None
    try:
        return parse_key(text)
    except SecretsKeyError:
        raise SecretsKeyError(f"{path} does not hold a secrets key ({KEY_BYTES} bytes as base64)") from None


_boxes: dict[tuple[str | None, Path], SecretBox] = {}
_lock = threading.Lock()


def secret_box(settings: Settings) -> SecretBox:
    """The SecretBox of these settings (one per key and home: the key file is read once)."""
    configured = settings.secrets_key.get_secret_value() if settings.secrets_key is not None else None
    cache_key = (configured, settings.home)
    with _lock:
        box = _boxes.get(cache_key)
        if box is None:
            key = parse_key(configured) if configured else load_or_create_key_file(settings.home / KEY_FILE)
            box = _boxes[cache_key] = SecretBox(key)
        return box
