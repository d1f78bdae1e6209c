"""What the benches share: a real git daemon serving one small repository, and `berth up` in a state
directory of its own, started as a user starts it and stopped like a service manager stops it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import httpx
import pygit2

ROOT = Path(__file__).resolve().parents[1]
# `python bench/<name>.py` puts only bench/ on the path; the e2e tests' way of starting Berth is shared.
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.e2e.berth_process import BERTH, free_port, read_announcement, terminate  # noqa: E402


def wait_until(check: Callable[[], bool], within: float, every: float = 0.02) -> None:
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"not ready within {within}s")
        time.sleep(every)


def answers(url: str, headers: dict[str, str] | None = None) -> bool:
    try:
        return httpx.get(url, headers=headers, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


class Git:
    """A real git daemon on loopback serving one repository (`bench.git`, branch main) holding `files`."""

    def __init__(self, root: Path, files: Mapping[str, str]) -> None:
        self.root = root
        repo = pygit2.init_repository(str(root / "bench.git"), bare=True)
        builder = repo.TreeBuilder()
        for name, text in files.items():
            builder.insert(name, repo.create_blob(text.encode()), pygit2.GIT_FILEMODE_BLOB)
        signature = pygit2.Signature("bench", "bench@localhost")
        repo.create_commit("refs/heads/main", signature, signature, "bench", builder.write(), [])
        repo.set_head("refs/heads/main")
        self.port = free_port()
        self.process = subprocess.Popen(
            ["git", "daemon", "--reuseaddr", "--listen=127.0.0.1", f"--port={self.port}", "--export-all",
             f"--base-path={root}", str(root)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(lambda: listening(self.port), 10)
        self.url = f"git://127.0.0.1:{self.port}/bench.git"

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


class Berth:
    """`berth up` in its own state directory (`home`), as a user starts it; `env` adds settings."""

    def __init__(self, home: Path, **env: str) -> None:
        self.home = home
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        environment = {**os.environ, "BERTH_HOME": str(home), "BERTH_PORT": str(self.port),
                       "BERTH_SSH_PORT": str(free_port()),
                       # A node of its own: another `berth up` on this engine would reconcile away our containers.
                       "BERTH_NODE": f"bench-{os.getpid()}", **env}
        self.log = (home / "berth.log").open("w")
        self.process = subprocess.Popen([*BERTH, "up", "--json"], env=environment, cwd=ROOT,
                                        stdout=subprocess.PIPE, stderr=self.log, text=True)
        said = read_announcement(self.process, home / "berth.log")
        self.token: str = said["token"]
        self.domain = str(httpx.URL(said["dashboard_url"]).host)
        self.http = httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {self.token}"}, timeout=60)
        wait_until(lambda: answers(f"{self.url}/api/health"), 60)

    def workspace(self, workspace_id: str) -> dict[str, Any]:
        return dict(self.http.get(f"/api/workspaces/{workspace_id}").json())

    def wait_phase(self, workspace_id: str, phases: set[str], within: float = 300) -> dict[str, Any]:
        found: dict[str, Any] = {}

        def settled() -> bool:
            nonlocal found
            found = self.workspace(workspace_id)
            return found.get("phase") in phases

        wait_until(settled, within, 0.05)
        return found

    def delete(self, workspace_id: str) -> None:
        self.http.delete(f"/api/workspaces/{workspace_id}")

    def stop(self, *, delete_workspaces: bool = True) -> None:
        """Deletes what the bench left (containers, volumes), then SIGTERM."""
        try:
            if delete_workspaces:
                for ws in self.http.get("/api/workspaces").json()["workspaces"]:
                    self.delete(ws["id"])
                time.sleep(2)
            self.http.close()
        finally:
            terminate(self.process, self.log)
