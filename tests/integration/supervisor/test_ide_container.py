"""The real code-server (from scripts/install-code-server.sh's cache) run by the one-file supervisor in a
container from the base image, the cache bind-mounted read-only at /.berth/ide as the node agent does it:
reached from the host only through the supervisor's CONNECT tunnel on the published 127.0.0.1 port,
restarted by the supervisor when it dies."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import docker
import pytest

from tests.integration.supervisor.client import http_get_through, request, status, tunnel
from tests.integration.supervisor.test_container import SUPERVISOR_ARGS, config, run_in, workspace_container
from tests.waiting import eventually

# The first run installs code-server (minutes); later ones find it cached.
pytestmark = [pytest.mark.docker, pytest.mark.timeout(1200)]

IDE_PORT = 23000


async def _ide(port: int) -> dict[str, Any]:
    document = await status(port)
    ide: dict[str, Any] = document["ide"]
    return ide


async def _ide_page(port: int) -> bytes:
    """The IDE's page for the workspace folder, through the supervisor's tunnel."""
    async with tunnel(port, f"127.0.0.1:{IDE_PORT}") as (_, reader, writer):
        page = await http_get_through(reader, writer, "/?folder=/workspace/repo")
    assert page.startswith(b"HTTP/1.1 200"), page[:300]
    return page


async def test_code_server_serves_through_connect_and_is_restarted_when_killed(
    docker_client: docker.DockerClient, supervisor_binary: Path, ide_dir: Path, tmp_path: Path
) -> None:
    document = config(
        workspace_location="repo",
        ide={"kind": "code-server", "dir": "/.berth/ide", "port": IDE_PORT},
        tasks=[{"before": "mkdir -p /workspace/repo && echo hi > /workspace/repo/README.md", "command": "sleep 600"}],
    )
    mounts = {str(ide_dir): {"bind": "/.berth/ide", "mode": "ro"}}
    with workspace_container(docker_client, supervisor_binary, tmp_path, document, SUPERVISOR_ARGS, mounts) as (
        container,
        port,
    ):
        began = time.monotonic()

        async def ready() -> bool:
            try:
                return bool((await status(port))["ready"])
            except (OSError, AssertionError, ValueError):
                return False

        await eventually(ready, within=90, every=0.1)
        print(f"\nworkspace ready (IDE answering) {time.monotonic() - began:.2f} s after the container started")
        now = await status(port)
        ide = now["ide"]
        assert now["ide_ready"] is True and ide["state"] == "ready" and ide["restarts"] == 0, now
        assert ide["port"] == IDE_PORT and isinstance(ide["pid"], int) and ide["ready_in"] > 0
        print(f"code-server answered {ide['ready_in']:.2f} s after it was started")
        assert IDE_PORT not in now["ports"]  # Berth's own port, not one of the user's

        async with tunnel(port, f"127.0.0.1:{IDE_PORT}") as (head, reader, writer):
            assert head == b"HTTP/1.1 200 Connection Established\r\n\r\n"
            first = await http_get_through(reader, writer, "/")
        # It opens the workspace location: the bare URL sends the browser to that folder.
        assert first.startswith(b"HTTP/1.1 302") and b"Location: ./?folder=/workspace/repo\r\n" in first, first
        page = await _ide_page(port)
        assert b"<!DOCTYPE html>" in page and b"workbench" in page, page[:500]

        # code-server runs as the workspace user, its data in the workspace (kept by the backup).
        processes = run_in(container, "ps", "-o", "user=,args=", "-p", str(ide["pid"]))
        assert processes.split()[0] == "berth" and "code-server" in processes, processes
        run_in(container, "test", "-d", "/workspace/.berth/ide/user-data")
        assert run_in(container, "stat", "-c", "%U", "/workspace/.berth/ide/extensions").strip() == "berth"
        log = await request(port, "GET", "/_berth/ide/log")
        assert log.status == 200 and b"HTTP server listening" in log.body, log

        run_in(container, "kill", "-KILL", str(ide["pid"]))

        async def restarted() -> bool:
            now = await _ide(port)
            return bool(now["restarts"] == 1 and now["state"] == "ready")

        await eventually(restarted, within=60, every=0.1)
        again = await _ide(port)
        assert again["pid"] != ide["pid"] and again["last_exit_code"] == 128 + 9, again
        assert b"<!DOCTYPE html>" in await _ide_page(port)

        container.stop(timeout=10)  # the supervisor ends code-server with the tasks and exits
        container.reload()
        assert container.attrs["State"]["ExitCode"] == 0
        logs = container.logs(stdout=False, stderr=True).decode()
        assert "ide: restarting" in logs and "ide: stopped" in logs, logs
