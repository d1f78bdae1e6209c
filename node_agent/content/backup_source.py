"""Which container a backup reads /workspace through.

The engine archives paths of containers, not volumes. Normally the instance's own container (running
or stopped) mounts the volume; when that container vanished (removed behind the agent's back, a
crash between removal steps), a throwaway container is created, never started, just to mount the
volume read-only, so the content can still be saved before anything deletes it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import docker.errors

from node_agent.engine import Engine, engine_errors
from node_agent.errors import ContainerNotFound
from node_agent.instance import InstanceRef
from node_agent.naming import LABEL_NODE, LABEL_WORKSPACE, WORKSPACE_DIR
from node_agent.volumes import volume_exists

LABEL_HELPER = "berth.helper"


@contextlib.contextmanager
def backup_source(engine: Engine, ref: InstanceRef, node: str, helper_image: str) -> Iterator[str]:
    """The id or name of a container mounting the workspace volume at /workspace."""
    if _container_exists(engine, ref.container_name):
        yield ref.container_name
        return
    if not volume_exists(engine, ref.volume_name):
        raise ContainerNotFound(ref.container_name)
    api = engine.api
    with engine_errors("creating a helper container to read the workspace volume"):
        helper = api.create_container(
            helper_image,
            name=f"{ref.container_name}-backup",
            entrypoint=["/bin/true"],
            # No instance label: reconcile and the event stream do not mistake it for an instance.
            labels={LABEL_WORKSPACE: ref.workspace_id, LABEL_NODE: node, LABEL_HELPER: "backup"},
            host_config=api.create_host_config(binds={ref.volume_name: {"bind": WORKSPACE_DIR, "mode": "ro"}}),
        )
    try:
        yield str(helper["Id"])
    finally:
        with contextlib.suppress(Exception):
            api.remove_container(helper["Id"], force=True)


def _container_exists(engine: Engine, name: str) -> bool:
    with engine_errors(f"inspecting container {name}"):
        try:
            engine.inspect_container(name)
        except docker.errors.NotFound:
            return False
    return True
