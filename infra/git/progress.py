"""Fetch progress, as callers see it: plain numbers, delivered on the caller's event loop."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class FetchProgress:
    """How far a fetch got: objects received and indexed out of the total the server announced."""

    received_objects: int
    indexed_objects: int
    total_objects: int
    received_bytes: int

    @property
    def done(self) -> bool:
        return self.total_objects > 0 and self.indexed_objects == self.total_objects


ProgressCallback = Callable[[FetchProgress], None]


class Throttle:
    """Passes on at most one report per `interval` seconds, and always the first and the last.

    libgit2 reports after every object; a caller turning reports into events wants a handful.
    """

    def __init__(self, interval: float = 0.2) -> None:
        self._interval = interval
        self._last_sent = float("-inf")
        self._last: FetchProgress | None = None

    def admit(self, progress: FetchProgress) -> bool:
        if progress == self._last:
            return False
        now = time.monotonic()
        if not (progress.done or self._last is None or now - self._last_sent >= self._interval):
            return False
        self._last, self._last_sent = progress, now
        return True
