"""Fixtures for the Docker runtime against the real engine. No engine or no base image is a
failure, never a skip. Every test runs under its own node label, and everything carrying that
label (containers, volumes) is removed afterwards, whatever the test did."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from pathlib import Path

import docker.errors
import pytest

from domain.errors import Unavailable
from infra.blobs import LocalBlobStore
from infra.images.local_images import BASE_IMAGE
from node_agent.docker_runtime import DockerRuntime
from node_agent.engine import Engine
from node_agent.naming import LABEL_NODE
from node_agent.workspace_classes import WORKSPACE_CLASSES, WorkspaceClass
from tests.integration.node_agent.workspaces import SupervisorFiles

MiB = 1 << 20
TEST_CLASSES = {
    **WORKSPACE_CLASSES,
    # Small enough that a short python3 one-liner exceeds it.
    "tiny": WorkspaceClass("tiny", cpus=0.5, memory_bytes=48 * MiB, pids=128),
}


@pytest.fixture
def engine() -> Iterator[Engine]:
    try:
        engine = Engine.connect()
    except Unavailable as error:
        pytest.fail(f"{error} (start it: nohup dockerd >/tmp/dockerd.log 2>&1 &)")
    try:
        try:
            engine.inspect_image(BASE_IMAGE)
        except docker.errors.NotFound:
            pytest.fail(f"{BASE_IMAGE} is missing: run scripts/base-image.sh")
        yield engine
    finally:
        engine.close()


@pytest.fixture
def node(engine: Engine) -> Iterator[str]:
    """A node label of this test alone; what carries it is removed after the test."""
    name = f"test-{uuid.uuid4().hex[:12]}"
    yield name
    selector = {"label": [f"{LABEL_NODE}={name}"]}
    for container in engine.api.containers(all=True, filters=selector):
        with contextlib.suppress(docker.errors.NotFound):
            engine.api.remove_container(container["Id"], force=True)
    for volume in engine.api.volumes(filters=selector).get("Volumes") or []:
        with contextlib.suppress(docker.errors.NotFound):
            engine.api.remove_volume(volume["Name"], force=True)


@pytest.fixture
def blobs(tmp_path: Path) -> LocalBlobStore:
    return LocalBlobStore(tmp_path / "blobs")


@pytest.fixture
def supervisor(tmp_path: Path) -> SupervisorFiles:
    return SupervisorFiles.write(tmp_path / "supervisor")


@pytest.fixture
def runtime(engine: Engine, blobs: LocalBlobStore, node: str, tmp_path: Path) -> DockerRuntime:
    # The runtime shares the fixture's engine; the engine fixture closes it.
    return DockerRuntime(engine, blobs, node=node, classes=TEST_CLASSES, clone_dir=tmp_path,
                        progress_interval=0.0)
