"""API and session tokens: what is stored of them (a SHA-256) and how they are compared.

Tokens are 256-bit random strings, so a fast unsalted hash is enough: nobody can guess a token from its
hash, and the hash lets a token be found by lookup instead of by trying every stored one.
"""

from __future__ import annotations

import hashlib
import hmac

TOKEN_PREFIX = "berth_"


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def same_digest(presented: str, stored: str) -> bool:
    """Constant-time, so response timing tells nothing about how much of a hash matched."""
    return hmac.compare_digest(presented.encode(), stored.encode())


def looks_like_token(text: str) -> bool:
    """Cheap shape check before hashing and a read-model lookup (and before any timing could matter)."""
    return text.startswith(TOKEN_PREFIX) and 20 <= len(text) <= 200
