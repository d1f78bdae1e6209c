"""Typed failures of blob stores; the same for every implementation (local directory, S3, ...)."""

from __future__ import annotations

from domain.errors import InvalidInput, NotFound, TemporaryError


class BlobNotFound(NotFound):
    def __init__(self, key: str) -> None:
        super().__init__(f"blob {key!r} does not exist")
        self.key = key


class InvalidBlobKey(InvalidInput):
    def __init__(self, key: str, reason: str) -> None:
        super().__init__(f"invalid blob key {key!r}: {reason}", field="key")
        self.key = key


class BlobWriteFailed(TemporaryError):
    """The store could not write a blob (disk full, permissions, store gone). Nothing was confirmed:
    an earlier blob under the same key, if any, is unchanged. Temporary: it passes once an operator
    fixes the store, and a retry writes the whole blob again."""

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(f"writing blob {key!r} failed: {reason}")
        self.key = key
        self.reason = reason


class BlobReadFailed(TemporaryError):
    def __init__(self, key: str, reason: str) -> None:
        super().__init__(f"reading blob {key!r} failed: {reason}")
        self.key = key
        self.reason = reason
