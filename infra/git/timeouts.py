"""libgit2's own network timeouts, which are process-wide.

By default libgit2 waits for a connection as long as the OS does and for a silent server forever.
These ceilings make sure a thread abandoned by a caller whose deadline passed (see `bounded`)
ends too; the caller's own deadline is usually shorter.
"""

from __future__ import annotations

import threading

import pygit2
from pygit2.enums import Option

CONNECT_TIMEOUT_MS = 10_000
IO_TIMEOUT_MS = 30_000
"""Longest wait for one read or write on a connection that is already open."""

_applied = False
_lock = threading.Lock()


def apply_network_timeouts() -> None:
    """Sets the ceilings once per process; later calls do nothing."""
    global _applied
    with _lock:
        if not _applied:
            pygit2.option(Option.SET_SERVER_CONNECT_TIMEOUT, CONNECT_TIMEOUT_MS)
            pygit2.option(Option.SET_SERVER_TIMEOUT, IO_TIMEOUT_MS)
            _applied = True
