"""Git content: clone on the node into a temp directory, then stream it as a tar into
`/workspace/<checkout_location>`, owned by the workspace user."""

from __future__ import annotations

import itertools
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from infra.blobs.threads import until_stopped
from node_agent.content.git_clone import CloneStats, clone
from node_agent.content.tar_tree import END_OF_ARCHIVE, WORKSPACE_OWNER, directory_entries, tree_entries
from node_agent.engine import Engine, engine_errors
from node_agent.instance import GitSource
from node_agent.naming import WORKSPACE_DIR
from node_agent.progress import ProgressMeter, Stage


@dataclass(frozen=True)
class CloneTotals:
    commit: str
    tar_bytes: int
    seconds: float


def clone_into_workspace(engine: Engine, container: str, source: GitSource, meter_for: Callable[[Stage], ProgressMeter],
                         stop: threading.Event, clone_dir: Path | None = None,
                         trailer: Iterable[bytes] = ()) -> CloneTotals:
    """`trailer`: tar entries extracted after the checkout, in the same upload (the content marker)."""
    with tempfile.TemporaryDirectory(prefix="berth-clone-", dir=clone_dir) as temp:
        checkout = Path(temp) / "checkout"
        clone_meter = meter_for(Stage.CLONE)
        last = CloneStats(0, 0, 0)

        def on_stats(stats: CloneStats) -> None:
            nonlocal last
            last = stats
            clone_meter.update(stats.received_bytes, objects=stats.received_objects,
                               total_objects=stats.total_objects)

        commit = clone(source, checkout, on_stats, stop)
        clone_seconds = clone_meter.finish(last.received_bytes, objects=last.received_objects,
                                           total_objects=last.total_objects)
        sent, upload_seconds = upload_tree(engine, container, checkout, source.checkout_location,
                                           meter_for(Stage.UPLOAD), stop, trailer)
    return CloneTotals(commit, sent, clone_seconds + upload_seconds)


def upload_tree(engine: Engine, container: str, root: Path, location: str, meter: ProgressMeter,
                stop: threading.Event, trailer: Iterable[bytes] = ()) -> tuple[int, float]:
    """Stream `root` into /workspace/<location>, then the `trailer` entries; returns (tar bytes sent, seconds)."""
    target = PurePosixPath(WORKSPACE_DIR.lstrip("/"), location.rstrip("/"))
    # The parents between /workspace and the checkout need entries of their own, or the engine
    # would create them owned by root.
    parents = [str(parent) for parent in reversed(target.parents) if len(parent.parts) > 1]
    sent = 0

    def counted() -> Iterator[bytes]:
        nonlocal sent
        archive = itertools.chain(
            directory_entries(parents, WORKSPACE_OWNER),
            tree_entries(root, str(target), WORKSPACE_OWNER),
            trailer,
            [END_OF_ARCHIVE],
        )
        for chunk in archive:
            sent += len(chunk)
            meter.update(sent)
            yield chunk

    # Extracted at `/` with full `workspace/...` names: the engine refuses, when extracting into
    # a directory, any relative symlink that points above it, and repositories have those.
    with engine_errors(f"copying the checkout into {WORKSPACE_DIR}/{location}"):
        engine.api.put_archive(container, "/", until_stopped(counted(), stop))
    return sent, meter.finish(sent)
