"""AES-GCM sealing of secrets (users' environment variable values) and where the key comes from."""

from __future__ import annotations

import base64
import stat
from pathlib import Path

import pytest
from pydantic import SecretStr

from domain.users.env_vars import SealedValue
from infra.secrets import (
    KEY_FILE,
    SecretBox,
    SecretsKeyError,
    UndecryptableSecret,
    env_var_context,
    load_or_create_key_file,
    parse_key,
    secret_box,
)
from infra.settings import Settings

KEY = bytes(range(32))
CONTEXT = env_var_context("alice", "API_KEY", "acme/*")


@pytest.mark.parametrize("value", ["", "s3cr3t", "é ✓ 🙂\nline two", "x" * 32 * 1024])
def test_a_sealed_value_opens_with_the_same_key_and_context(value: str) -> None:
    box = SecretBox(KEY)
    sealed = box.seal(value, CONTEXT)
    assert value.encode() not in base64.b64decode(sealed.encrypted_value) or value == ""
    assert sealed.key_id == box.key_id and len(box.key_id) == 16
    assert box.open(sealed, CONTEXT) == value
    assert box.seal(value, CONTEXT) != sealed  # a fresh nonce each time


def test_another_key_is_a_clear_error_naming_both_key_ids() -> None:
    sealed = SecretBox(KEY).seal("s3cr3t", CONTEXT)
    other = SecretBox(bytes(32))
    with pytest.raises(UndecryptableSecret, match=f"{sealed.key_id}.*{other.key_id}"):
        other.open(sealed, CONTEXT)
    # The same key id but another key (a forged id) still cannot open it.
    with pytest.raises(UndecryptableSecret, match="does not open"):
        other.open(SealedValue(sealed.encrypted_value, other.key_id), CONTEXT)


def test_a_value_is_bound_to_its_user_name_and_pattern_and_cannot_be_altered() -> None:
    box = SecretBox(KEY)
    sealed = box.seal("s3cr3t", CONTEXT)
    for context in (env_var_context("bob", "API_KEY", "acme/*"), env_var_context("alice", "OTHER", "acme/*"),
                    env_var_context("alice", "API_KEY", "*/*")):
        with pytest.raises(UndecryptableSecret):
            box.open(sealed, context)
    raw = bytearray(base64.b64decode(sealed.encrypted_value))
    raw[-1] ^= 1
    for broken in (base64.b64encode(bytes(raw)).decode(), "not base64!", "c2hvcnQ="):
        with pytest.raises(UndecryptableSecret):
            box.open(SealedValue(broken, box.key_id), CONTEXT)


def test_the_box_never_shows_its_key() -> None:
    assert KEY.hex() not in repr(SecretBox(KEY)) and str(list(KEY)) not in repr(SecretBox(KEY))


def test_keys_are_hex_or_base64_of_32_bytes() -> None:
    assert parse_key(KEY.hex()) == KEY
    assert parse_key(base64.b64encode(KEY).decode()) == KEY
    assert parse_key(base64.urlsafe_b64encode(KEY).decode().rstrip("=")) == KEY
    for bad in ("", "short", base64.b64encode(bytes(16)).decode(), "zz" * 32):
        with pytest.raises(SecretsKeyError, match="BERTH_SECRETS_KEY"):
            parse_key(bad)
    with pytest.raises(SecretsKeyError):
        SecretBox(bytes(16))


def test_without_a_configured_key_one_is_generated_once_with_mode_600(tmp_path: Path) -> None:
    path = tmp_path / "home" / KEY_FILE
    key = load_or_create_key_file(path)
    assert len(key) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_key_file(path) == key
    assert [p.name for p in path.parent.iterdir()] == [KEY_FILE]  # no temporary file left
    path.write_text("garbage\n")
    with pytest.raises(SecretsKeyError, match="does not hold a secrets key"):
        load_or_create_key_file(path)


def test_settings_pick_the_key(tmp_path: Path) -> None:
    configured = Settings.from_env({"BERTH_HOME": str(tmp_path / "a"), "BERTH_SECRETS_KEY": KEY.hex()})
    assert isinstance(configured.secrets_key, SecretStr) and KEY.hex() not in repr(configured)
    assert secret_box(configured).key == KEY
    assert not (tmp_path / "a" / KEY_FILE).exists()
    embedded = Settings(home=tmp_path / "b")
    assert secret_box(embedded) is secret_box(embedded)
    assert secret_box(Settings(home=tmp_path / "b")).key == load_or_create_key_file(tmp_path / "b" / KEY_FILE)
