"""Password hashes with scrypt (hashlib, no extra dependency), in one self-describing string:
`scrypt$<n>$<r>$<p>$<salt hex>$<hash hex>`, so the cost can be raised later without breaking old hashes."""

from __future__ import annotations

import hashlib
import hmac

from domain.errors import InvalidInput

# 2**14 * 8 * 128 bytes = 16 MiB and about 50 ms per hash: OWASP's minimum for interactive logins.
N, R, P = 2**14, 8, 1
_KEY_LENGTH = 32
MIN_LENGTH = 8
MAX_LENGTH = 1024  # scrypt's cost grows with the input; an unbounded password is a cheap DoS


def check_password(password: str) -> str:
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        raise InvalidInput(f"a password has {MIN_LENGTH} to {MAX_LENGTH} characters", field="password")
    return password


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, maxmem=256 * n * r,
                          dklen=_KEY_LENGTH)


def hash_password(password: str, salt: bytes) -> str:
    """The salt is the caller's (random, 16 bytes): keeping randomness out makes this a pure function."""
    if len(salt) < 16:
        raise ValueError("a password salt has at least 16 bytes")
    digest = _scrypt(check_password(password), salt, N, R, P)
    return f"scrypt${N}${R}${P}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    """False for a wrong password or a hash this code cannot read; the comparison is constant-time."""
    if len(password) > MAX_LENGTH:
        return False
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = bytes.fromhex(digest)
        actual = _scrypt(password, bytes.fromhex(salt), int(n), int(r), int(p))
    except ValueError:
        return False
    return hmac.compare_digest(actual, expected)
