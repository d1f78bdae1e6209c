"""scrypt password hashes: salted, self-describing, verified in constant time."""

from __future__ import annotations

import pytest

from domain.errors import InvalidInput
from domain.users.passwords import MAX_LENGTH, hash_password, verify_password

SALT = bytes(range(16))


def test_a_hash_verifies_its_password_only() -> None:
    stored = hash_password("correct horse", SALT)
    assert stored.startswith("scrypt$16384$8$1$")
    assert "correct horse" not in stored
    assert verify_password("correct horse", stored)
    assert not verify_password("correct hors", stored)


def test_the_salt_makes_equal_passwords_hash_differently() -> None:
    assert hash_password("correct horse", SALT) != hash_password("correct horse", bytes(16))
    assert hash_password("correct horse", SALT) == hash_password("correct horse", SALT)


@pytest.mark.parametrize("stored", ["", "plain", "bcrypt$1$2$3$00$00", "scrypt$x$8$1$00$00", "scrypt$16384$8$1$zz$00"])
def test_unreadable_hashes_never_verify(stored: str) -> None:
    assert not verify_password("whatever1", stored)


def test_short_long_passwords_and_short_salts_are_refused() -> None:
    with pytest.raises(InvalidInput) as refused:
        hash_password("short", SALT)
    assert refused.value.field == "password"
    with pytest.raises(InvalidInput):
        hash_password("x" * (MAX_LENGTH + 1), SALT)
    with pytest.raises(ValueError, match="salt"):
        hash_password("long enough", b"short")
    assert not verify_password("x" * (MAX_LENGTH + 1), hash_password("long enough", SALT))
