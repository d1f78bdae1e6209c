"""SSH into a real workspace container through `berth up`'s SSH gateway, with the real OpenSSH client."""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.berth_process import RunningBerth, berth
from tests.gitserver import BareRepo, GitDaemon, Seeded, free_port

pytestmark = pytest.mark.docker


@pytest.fixture(scope="module")
def workspace(platform: RunningBerth, seeded: Seeded, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with GitDaemon(seeded.root, tmp_path_factory.mktemp("git-daemon")) as git:
        name = f"ssh/r-{uuid.uuid4().hex[:8]}"
        BareRepo.create(seeded.root / f"{name}.git").commit("main", {
            ".gitpod.yml": "tasks:\n  - command: python3 -m http.server 8000\n", "hello.txt": "hello over ssh\n"})
        done = berth(platform.home, "workspace", "create", git.url(name), "--json")
        assert done.returncode == 0, done.stdout + done.stderr
        yield str(json.loads(done.stdout)["id"])


def key_pair(directory: Path, name: str) -> Path:
    key = directory / name
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    return key


def ssh(platform: RunningBerth, key: Path, workspace_id: str, *command: str,
        options: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["ssh", "-p", str(platform.ssh_port), "-i", str(key), "-o", "StrictHostKeyChecking=no",
         "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes", "-o", "LogLevel=ERROR", *options,
         f"{workspace_id}@localhost", *command],
        capture_output=True, text=True, timeout=60, check=False)


def test_a_registered_key_runs_commands_in_the_workspace(platform: RunningBerth, workspace: str,
                                                        tmp_path: Path) -> None:
    key = key_pair(tmp_path, "id")
    added = platform.http("POST", "/api/ssh-keys", json={"public_key": (tmp_path / "id.pub").read_text().strip(),
                                                         "name": "laptop"})
    assert added.status_code == 201, added.text
    done = ssh(platform, key, workspace, "cat hello.txt; whoami; exit 3")
    assert done.returncode == 3, done.stderr
    assert done.stdout.splitlines() == ["hello over ssh", "berth"]


def test_local_port_forwarding_reaches_a_port_in_the_workspace(platform: RunningBerth, workspace: str,
                                                             tmp_path: Path) -> None:
    key = key_pair(tmp_path, "id")
    platform.http("POST", "/api/ssh-keys", json={"public_key": (tmp_path / "id.pub").read_text().strip()})
    local = free_port()
    tunnel = subprocess.Popen(
        ["ssh", "-N", "-p", str(platform.ssh_port), "-i", str(key), "-o", "StrictHostKeyChecking=no",
         "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes", "-o", "LogLevel=ERROR",
         "-L", f"{local}:localhost:8000", f"{workspace}@localhost"], stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE)
    try:
        body = ""
        for _ in range(100):
            try:
                body = httpx.get(f"http://127.0.0.1:{local}/hello.txt", timeout=5).text
                break
            except httpx.TransportError:
                time.sleep(0.2)  # the tunnel is not up yet
        assert body == "hello over ssh\n"
    finally:
        tunnel.terminate()
        tunnel.wait(10)
        if tunnel.stderr is not None:
            tunnel.stderr.close()


def test_an_unknown_key_is_refused(platform: RunningBerth, workspace: str, tmp_path: Path) -> None:
    stranger = key_pair(tmp_path, "stranger")
    done = ssh(platform, stranger, workspace, "true")
    assert done.returncode == 255 and "Permission denied" in done.stderr
