"""Login tokens, stored only as SHA-256 hashes and checked in constant time.

A token is shown once, when it is minted; whoever holds the file of hashes cannot log in with it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from pathlib import Path

TOKEN_PREFIX = "berth_"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TokenFile:
    def __init__(self, path: Path) -> None:
        self.path = path

    def _hashes(self) -> list[str]:
        if not self.path.exists():
            return []
        return list(json.loads(self.path.read_text())["sha256"])

    def mint(self) -> str:
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        hashes = [*self._hashes(), _digest(token)]
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps({"sha256": hashes}))
        os.chmod(temporary, 0o600)
        temporary.replace(self.path)  # atomic: a crash leaves the old file or the new one
        return token

    def verify(self, token: str) -> bool:
        presented = _digest(token)
        # Compare against every hash without stopping early, so timing tells nothing about which matched.
        matches = [hmac.compare_digest(presented, known) for known in self._hashes()]
        return any(matches)
