"""Waiting for /workspace's content: the node agent starts the container while it still fills /workspace (from
a backup, the kept volume or a clone), so the supervisor's startup overlaps the copy, and writes a marker file
(`content_ready` in the config, `/workspace/.berth/content-ready.json`) once the content is complete:

    {"incarnation": "...", "source": "git"|"backup"|"volume"|"empty", "instance_id": "...",
     "start_mode": "fresh"|"restart"}

Only a marker naming this instance counts: one restored with a backup or left in a kept volume names the
instance that wrote it. Until then nothing that touches /workspace runs (log files, lifecycle commands, tasks,
the IDE); the endpoint answers meanwhile. The file appears through the engine's archive upload, with no
notification into the container, so it is looked for often at first (the usual small clone takes a fraction
of a second) and less often the longer the copy takes (a big restore).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass

from supervisor.config import StartMode

log = logging.getLogger("content")

FIRST_INTERVAL = 0.005
MAX_INTERVAL = 0.05
BACKOFF = 1.25


@dataclass(frozen=True)
class ContentReady:
    source: str | None
    start_mode: StartMode | None
    """What the node agent says this start is (`fresh` content runs `init`); None = the config's."""
    waited: float


def read_marker(path: str, instance_id: str) -> ContentReady | None:
    """The marker at `path` when it is complete and names `instance_id`; None otherwise (absent, still being
    written, or an earlier instance's)."""
    try:
        with open(path, "rb") as handle:
            fields = json.loads(handle.read(64 * 1024))
    except (OSError, ValueError):
        return None
    if not isinstance(fields, dict) or fields.get("instance_id") != instance_id:
        return None
    mode = fields.get("start_mode")
    source = fields.get("source")
    return ContentReady(source if isinstance(source, str) else None,
                        mode if mode in ("fresh", "restart") else None, 0.0)


async def wait_for_content(path: str, instance_id: str, stopping: Callable[[], bool]) -> ContentReady | None:
    """The marker once it names this instance; None when `stopping()` turned true first."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    interval = FIRST_INTERVAL
    said = False
    while not stopping():
        found = read_marker(path, instance_id)
        if found is not None:
            waited = loop.time() - started
            log.info("content ready after %.3f s (%s)", waited, found.source or "unknown source")
            return ContentReady(found.source, found.start_mode, waited)
        if not said:
            said = True
            log.info("waiting for the content of the workspace (%s)", path)
        await asyncio.sleep(interval)
        interval = min(interval * BACKOFF, MAX_INTERVAL)
    return None
