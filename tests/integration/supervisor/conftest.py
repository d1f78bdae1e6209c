"""Fixtures for the supervisor's container tests: the one-file executable (built once per session by
scripts/build-supervisor.sh, cached across sessions) and the real Docker engine. No engine or no
base image is a failure, never a skip."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import docker
import docker.errors
import pytest

from tests.integration.supervisor.running import REPO

BASE_IMAGE = "berth/base:latest"
NO_ENGINE = "the Docker engine is not reachable ({}); start it: nohup dockerd >/tmp/dockerd.log 2>&1 &"


@pytest.fixture(scope="session")
def supervisor_binary() -> Path:
    built = subprocess.run(
        [str(REPO / "scripts" / "build-supervisor.sh")], capture_output=True, text=True, timeout=300, check=False
    )
    if built.returncode != 0:
        pytest.fail(f"scripts/build-supervisor.sh failed ({built.returncode}):\n{built.stderr}")
    path = Path(built.stdout.strip().splitlines()[-1])
    assert path.is_file(), built.stdout
    return path


@pytest.fixture(scope="session")
def ide_dir() -> Path:
    """The code-server install (Node 24 + code-server), installed once and cached across sessions."""
    installed = subprocess.run(
        [str(REPO / "scripts" / "install-code-server.sh")], capture_output=True, text=True, timeout=1200, check=False
    )
    if installed.returncode != 0:
        pytest.fail(f"scripts/install-code-server.sh failed ({installed.returncode}):\n{installed.stderr[-4000:]}")
    path = Path(installed.stdout.strip().splitlines()[-1])
    assert (path / ".complete").is_file(), installed.stdout
    return path


@pytest.fixture
def docker_client() -> Iterator[docker.DockerClient]:
    try:
        client = docker.from_env()
    except docker.errors.DockerException as error:
        pytest.fail(NO_ENGINE.format(error))
    try:
        try:
            client.ping()
            client.images.get(BASE_IMAGE)
        except docker.errors.ImageNotFound:
            pytest.fail(f"{BASE_IMAGE} is missing: run scripts/base-image.sh")
        except docker.errors.DockerException as error:
            pytest.fail(NO_ENGINE.format(error))
        yield client
    finally:
        client.close()
