"""Blob keys: `/`-separated relative paths that mean the same thing in a directory and in S3.

Segments are restricted so a key can never escape the store's root (`..`), never names a store's own
bookkeeping (segments that start with a dot are reserved: the local store keeps its temp files in
`.incoming/`), and never depends on the file system's case or encoding rules.
"""

from __future__ import annotations

import re

from infra.blobs.errors import InvalidBlobKey

_SEGMENT = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]*$")
_PREFIX_TAIL = re.compile(r"^[A-Za-z0-9._-]*$")
MAX_KEY_LENGTH = 1024


def check_key(key: str) -> str:
    """`key` itself when it is valid; InvalidBlobKey naming the reason otherwise."""
    if not key:
        raise InvalidBlobKey(key, "it is empty")
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidBlobKey(key, f"it is longer than {MAX_KEY_LENGTH} characters")
    for segment in key.split("/"):
        if not _SEGMENT.fullmatch(segment):
            raise InvalidBlobKey(
                key,
                f"segment {segment!r} must be letters, digits, '.', '_' or '-' and must not start with '.' or '-'",
            )
    return key


def check_prefix(prefix: str) -> str:
    """A listing prefix: empty (everything), or the start of a key. Its last segment may be cut
    anywhere (`backups/amber-` lists every workspace id starting so), so only complete segments are
    held to the key rules."""
    if prefix == "":
        return prefix
    *complete, tail = prefix.split("/")
    for segment in complete:
        if not _SEGMENT.fullmatch(segment):
            raise InvalidBlobKey(prefix, f"prefix segment {segment!r} could not be part of any key")
    if not _PREFIX_TAIL.fullmatch(tail):
        raise InvalidBlobKey(prefix, "a prefix may only contain letters, digits, '.', '_', '-' and '/'")
    return prefix
