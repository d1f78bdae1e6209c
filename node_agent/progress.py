"""Progress of long content operations (clone, copy into /workspace, backup, restore)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum


class Stage(StrEnum):
    CLONE = "clone"  # fetching objects from the remote
    UPLOAD = "upload"  # copying the checkout into /workspace
    RESTORE = "restore"  # backup blob -> /workspace
    BACKUP = "backup"  # /workspace -> backup blob


@dataclass(frozen=True)
class Progress:
    stage: Stage
    bytes: int  # clone: received; upload and restore: written into /workspace; backup: read from it
    seconds: float
    compressed_bytes: int | None = None  # backup: written to the blob; restore: read from it
    objects: int | None = None  # clone only
    total_objects: int | None = None  # clone only
    done: bool = False


ProgressCallback = Callable[[Progress], object]


class ProgressMeter:
    """Times a stage and reports at most every `interval` seconds, plus once at the end: a chunk-level
    callback would flood a UI (or the event log) with thousands of updates per backup."""

    def __init__(self, stage: Stage, report: Callable[[Progress], None], interval: float = 0.25) -> None:
        self.stage = stage
        self.report = report
        self.interval = interval
        self.started = time.monotonic()
        self._last = float("-inf")

    @property
    def seconds(self) -> float:
        return time.monotonic() - self.started

    def update(self, done: int, *, compressed: int | None = None, objects: int | None = None,
               total_objects: int | None = None) -> None:
        now = time.monotonic()
        if now - self._last >= self.interval:
            self._last = now
            self.report(Progress(self.stage, done, now - self.started, compressed, objects, total_objects))

    def finish(self, done: int, *, compressed: int | None = None, objects: int | None = None,
               total_objects: int | None = None) -> float:
        seconds = self.seconds
        self.report(Progress(self.stage, done, seconds, compressed, objects, total_objects, done=True))
        return seconds
