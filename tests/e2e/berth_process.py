"""Runs the real `berth` command as a user would: a subprocess with its own state directory."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import IO, Any

import httpx

from tests.gitserver import BareRepo, GitDaemon, Seeded

BERTH = [sys.executable, "-c", "from gateway.cli.main import main; main()"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def read_announcement(process: subprocess.Popen[str], log_path: Path) -> dict[str, Any]:
    """What `berth up --json` prints once it serves (URL, token): one JSON object over several lines, ending
    with the first line that ends in `}`. Shared with the benches (bench/harness.py)."""
    assert process.stdout is not None
    said = ""
    while not said.rstrip().endswith("}"):
        line = process.stdout.readline()
        if not line:
            raise RuntimeError(f"berth up exited before it announced itself; its log ({log_path}):\n"
                               f"{log_path.read_text()}")
        said += line
    return dict(json.loads(said))


def terminate(process: subprocess.Popen[str], log: IO[str]) -> int:
    """SIGTERM, as a service manager stops it, then its exit status; killed if it is still there after 60 s
    (the wait's TimeoutExpired goes on). Its stdout pipe and the log it writes to are closed either way."""
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
        if process.stdout is not None:
            process.stdout.close()
        log.close()


def node_of(home: Path) -> str:
    """A node name of this state directory's own: two Berths on one Docker engine with the same node name
    would each remove the other's containers as unknown. The same home keeps its name across restarts."""
    return "e2e-" + hashlib.sha256(str(home).encode()).hexdigest()[:12]


def environment(home: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "BERTH_HOME": str(home), "BERTH_NODE": node_of(home), "COLUMNS": "200", **extra}


def berth(home: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*BERTH, *args], env=environment(home, **extra), capture_output=True, text=True,
                          timeout=120, check=False)


def berth_json(home: Path, *args: str, **extra: str) -> Any:
    done = berth(home, *args, "--json", **extra)
    assert done.returncode == 0, done.stderr + done.stdout
    return json.loads(done.stdout)


class RunningBerth:
    """`berth up` in the background; stopped with SIGTERM like a service manager would."""

    def __init__(self, home: Path, **extra: str) -> None:
        """`extra`: more environment (BERTH_MODE=distributed and what that mode needs)."""
        self.home = home
        self.port = free_port()
        self.ssh_port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # The server's log goes to a file: a pipe nobody reads would fill up and block the server.
        self.log_path = home / f"berth-up-{self.port}.log"
        self._log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [*BERTH, "up", "--json"], env=environment(home, **{"BERTH_PORT": str(self.port),
                                                                "BERTH_SSH_PORT": str(self.ssh_port),
                                                                "BERTH_NODE": node_of(home), **extra}),
            stdout=subprocess.PIPE, stderr=self._log, text=True,
        )
        self.announced = read_announcement(self.process, self.log_path)
        self.token: str = self.announced["token"]
        self.domain = str(httpx.URL(self.announced["dashboard_url"]).host)
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{self.url}/api/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise AssertionError("berth up did not answer on /api/health within 30 s")
            time.sleep(0.1)

    def get(self, path: str, token: str | None = None) -> httpx.Response:
        return self.http("GET", path, token=token)

    def http(self, method: str, path: str, token: str | None = None, **options: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token or self.token}"}
        return httpx.request(method, f"{self.url}{path}", headers=headers, timeout=30, **options)

    def delete_workspaces_and_stop(self) -> str:
        """What a test module leaves behind: no workspace (containers, volumes, backups), no process."""
        for ws in self.get("/api/workspaces").json()["workspaces"]:
            self.http("DELETE", f"/api/workspaces/{ws['id']}")
        return self.stop()

    def stop(self) -> str:
        """SIGTERM, then the server's log. uvicorn shuts down gracefully and then re-raises the signal,
        so the exit status is the signal's; whether the shutdown was clean is in the log."""
        code = terminate(self.process, self._log)
        log = self.log_path.read_text()
        assert code in (0, -signal.SIGTERM), log
        return log


def cli(platform: RunningBerth, *args: str) -> Any:
    """`berth workspace <args> --json` as the platform's admin; the parsed answer."""
    done = berth(platform.home, "workspace", *args, "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout)


def get_on_host(platform: RunningBerth, host: str, path: str = "/", token: str | None = None,
                within: float = 30.0) -> httpx.Response:
    """GET `path` on a workspace host (`<wsid>` for the IDE, `<port>-<wsid>` for a port) through Berth's proxy,
    asking again while it answers 502/503 (the service is not listening yet)."""
    headers = {"Host": f"{host}.ws.{platform.domain}:{platform.port}"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    deadline = time.monotonic() + within
    while True:
        response = httpx.get(f"{platform.url}{path}", headers=headers, timeout=10)
        if response.status_code not in (502, 503) or time.monotonic() > deadline:
            return response
        time.sleep(0.2)


def other_user_token(platform: RunningBerth) -> str:
    """A token of a new, ordinary user (created by the admin, logged in with a password)."""
    name = f"bob{uuid.uuid4().hex[:6]}"
    assert platform.http("POST", "/api/users", json={"username": name, "role": "user",
                                                     "password": "correct horse battery"}).status_code == 201
    with httpx.Client(base_url=platform.url) as client:
        assert client.post("/api/login", json={"username": name, "password": "correct horse battery"}).is_success
        issued = client.post("/api/tokens", json={"name": "e2e"}, headers={"Origin": platform.url})
        assert issued.status_code == 201, issued.text
        return str(issued.json()["token"])


def repository(seeded: Seeded, git: GitDaemon, files: dict[str, str | None]) -> str:
    """A new repository with `files` on branch main, served by `git`; its clone URL."""
    name = f"e2e/r-{uuid.uuid4().hex[:8]}"
    BareRepo.create(seeded.root / f"{name}.git").commit("main", files)
    return git.url(name)
