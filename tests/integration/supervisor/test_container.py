"""The built supervisor in real containers from the base image, as the node agent will run it: bind-mounted
read-only at /.berth/supervisor (its onedir runtime at /.berth/supervisor-lib), config at
/.berth/config.json, its port published on the host's 127.0.0.1 and reached only through that published
port (never the bridge address)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import docker.errors
import pytest
from docker.models.containers import Container

from tests.integration.supervisor.client import http_get_through, status, tunnel
from tests.integration.supervisor.conftest import BASE_IMAGE
from tests.waiting import eventually

pytestmark = pytest.mark.docker

PORT = 22999
SUPERVISOR_ARGS = ["/.berth/supervisor", "serve", "--config", "/.berth/config.json"]


def config(**fields: Any) -> dict[str, Any]:
    return {
        "workspace_id": "amber-otter-k3x9qa",
        "instance_id": uuid.uuid4().hex,
        "user": "berth",
        "checkout_location": "repo",
        **fields,
    }


@contextlib.contextmanager
def workspace_container(
    client: docker.DockerClient,
    binary: Path,
    tmp_path: Path,
    document: dict[str, Any],
    command: list[str],
    mounts: dict[str, dict[str, str]] | None = None,
) -> Iterator[tuple[Container, int]]:
    """A running container and the host port (on 127.0.0.1) that reaches its supervisor; `mounts` are
    more bind mounts (host path -> {"bind": path, "mode": "ro"}), like the node agent's IDE."""
    config_path = tmp_path / f"config-{document['instance_id']}.json"
    config_path.write_text(json.dumps(document))
    # A random host port on loopback only (the stubs do not know that None means "any port").
    ports: dict[str, Any] = {f"{PORT}/tcp": ("127.0.0.1", None)}
    container = client.containers.run(
        BASE_IMAGE,
        command,
        detach=True,
        user="root",  # as the node agent runs it: the supervisor drops to `user` for the tasks
        volumes={
            str(binary): {"bind": "/.berth/supervisor", "mode": "ro"},
            # The onedir build's runtime, where its bootloader looks: beside the executable.
            str(binary.parent / "supervisor-lib"): {"bind": "/.berth/supervisor-lib", "mode": "ro"},
            str(config_path): {"bind": "/.berth/config.json", "mode": "ro"},
            **(mounts or {}),
        },
        ports=ports,
        labels={"org.berth.test": "supervisor"},
    )
    try:
        container.reload()
        binding = container.attrs["NetworkSettings"]["Ports"][f"{PORT}/tcp"][0]
        assert binding["HostIp"] == "127.0.0.1"
        yield container, int(binding["HostPort"])
    finally:
        with contextlib.suppress(docker.errors.NotFound):
            container.remove(force=True)


def run_in(container: Container, *argv: str) -> str:
    result = container.exec_run(list(argv))
    assert isinstance(result.output, bytes) and result.exit_code == 0, result
    return result.output.decode()


async def _answers(port: int) -> bool:
    with contextlib.suppress(OSError, AssertionError, ValueError, asyncio.IncompleteReadError):
        return bool((await status(port))["ready"])
    return False


async def test_binary_serves_a_task_through_connect_in_the_base_image(
    docker_client: docker.DockerClient, supervisor_binary: Path, tmp_path: Path
) -> None:
    document = config(
        tasks=[
            {
                "name": "web",
                "before": "mkdir -p /workspace/repo && cd /workspace/repo",
                "init": "echo served-from-the-container > index.txt",
                "command": "(sleep 0.2 &); exec python3 -m http.server 8000 --bind 127.0.0.1",
            }
        ]
    )
    with workspace_container(docker_client, supervisor_binary, tmp_path, document, SUPERVISOR_ARGS) as (
        container,
        port,
    ):
        await eventually(lambda: _answers(port), within=20)

        async def serving() -> bool:
            return 8000 in (await status(port))["ports"]

        await eventually(serving, within=20)
        document_now = await status(port)
        assert document_now["tasks"][0]["phase"] == "command"
        assert document_now["version"] == supervisor_binary.parent.name

        async with tunnel(port, "127.0.0.1:8000") as (head, reader, writer):
            assert head == b"HTTP/1.1 200 Connection Established\r\n\r\n"
            answer = await http_get_through(reader, writer, "/index.txt")
        assert answer.startswith(b"HTTP/1.0 200") and answer.endswith(b"served-from-the-container\n")

        # Tasks run as the workspace user; the supervisor stays root.
        processes = run_in(container, "ps", "-eo", "user,stat,args")
        assert any(line.startswith("berth") and "http.server" in line for line in processes.splitlines()), processes
        assert not [line for line in processes.splitlines()[1:] if line.split()[1].startswith("Z")], processes

        container.stop(timeout=10)  # SIGTERM: the supervisor ends the tasks and exits by itself
        container.reload()
        assert container.attrs["State"]["ExitCode"] == 0
        logs = container.logs(stdout=False, stderr=True).decode()
        assert "task 0 (web): done exit" in logs and "(stopped)" in logs and logs.rstrip().endswith("exiting")


async def test_binary_runs_where_there_is_no_python(
    docker_client: docker.DockerClient, supervisor_binary: Path, tmp_path: Path
) -> None:
    document = config(tasks=[{"name": "check", "command": "! command -v python3 && echo no python here"}])
    remove_python = "rm -rf /usr/bin/python3* /usr/lib/python3* /usr/local/lib/python3*"
    command = ["sh", "-c", f"{remove_python} && exec {' '.join(SUPERVISOR_ARGS)}"]
    with workspace_container(docker_client, supervisor_binary, tmp_path, document, command) as (container, port):
        await eventually(lambda: _answers(port), within=20)

        async def done() -> bool:
            return bool((await status(port))["tasks"][0]["phase"] in ("done", "failed"))

        await eventually(done, within=20)
        assert (await status(port))["tasks"][0]["phase"] == "done"
        version = run_in(container, "/.berth/supervisor", "--version").strip()
        assert version == f"berth-supervisor {supervisor_binary.parent.name}"
