"""The content marker: `/workspace/.berth/content-ready.json`, written when content init completed.

It is also the supervisor's signal to go: the container starts while its content is still being copied, and
the supervisor runs nothing in /workspace until the marker names its instance (supervisor/content.py, which
reads this format: keep them in step), taking the start mode (`fresh`: init runs) from it.

A workspace volume that outlived its instance (kept after a failed backup, or left by a node agent
that died mid-restore) is reused by the next instance only if it holds a marker naming *this*
volume's incarnation (a random label set when the volume was created). A restore that died halfway
leaves no marker; a marker that came in with a backup names an older incarnation. Either way the
content is initialized again, never trusted half-done.
"""

from __future__ import annotations

import io
import itertools
import json
import tarfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass

import docker.errors

from node_agent.content.tar_tree import END_OF_ARCHIVE, WORKSPACE_OWNER, directory_entries, file_entry
from node_agent.engine import Engine, engine_errors
from node_agent.naming import WORKSPACE_DIR

MARKER_DIR = f"{WORKSPACE_DIR}/.berth"
MARKER_PATH = f"{MARKER_DIR}/content-ready.json"
_MAX_MARKER_BYTES = 64 * 1024


@dataclass(frozen=True)
class ContentMarker:
    incarnation: str
    source: str
    instance_id: str
    start_mode: str | None = None  # "fresh" | "restart"; absent in markers of older versions


def marker_entries(marker: ContentMarker) -> Iterator[bytes]:
    """The marker's tar entries (its directory, the file), to close an archive of the content itself."""
    body = json.dumps(asdict(marker), sort_keys=True).encode() + b"\n"
    return itertools.chain(
        directory_entries([MARKER_DIR.lstrip("/")], WORKSPACE_OWNER),
        file_entry(MARKER_PATH.lstrip("/"), body, WORKSPACE_OWNER),
    )


def marker_archive(marker: ContentMarker) -> Iterator[bytes]:
    return itertools.chain(marker_entries(marker), [END_OF_ARCHIVE])


def read_marker(engine: Engine, container: str) -> ContentMarker | None:
    """The marker in the container's /workspace; None when there is none or it is unreadable."""
    data = b""
    try:
        with engine_errors("reading the content marker"), engine.archive_of(container, MARKER_PATH) as chunks:
            for chunk in chunks:
                data += chunk
                if len(data) > _MAX_MARKER_BYTES:
                    return None
    except docker.errors.NotFound:
        return None
    try:
        with tarfile.open(fileobj=io.BytesIO(data)) as archive:
            member = archive.next()
            handle = archive.extractfile(member) if member is not None else None
            fields = json.loads(handle.read()) if handle is not None else None
        return ContentMarker(**fields) if isinstance(fields, dict) else None
    except (tarfile.TarError, ValueError, TypeError):
        return None
