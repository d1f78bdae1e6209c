"""Browser VS Code in a workspace, through Berth's proxy: `berth up` with this node's code-server install
(scripts/install-code-server.sh), a real workspace container, and the IDE host
`http://<wsid>.ws.<domain>:<port>/` answering its owner only. (A browser drives it in a later test.)"""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.berth_process import RunningBerth, berth
from tests.gitserver import BareRepo, GitDaemon, Seeded

# The first run installs code-server (minutes); later runs find it cached.
pytestmark = [pytest.mark.docker, pytest.mark.timeout(1200)]

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def ide_dir() -> Path:
    installed = subprocess.run([str(REPO / "scripts" / "install-code-server.sh")], capture_output=True, text=True,
                               timeout=1200, check=False)
    assert installed.returncode == 0, installed.stderr[-4000:]
    return Path(installed.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory, ide_dir: Path) -> Iterator[RunningBerth]:
    with pytest.MonkeyPatch.context() as patch:
        # Named rather than found by the node agent: the same directory, without a second look-up.
        patch.setenv("BERTH_IDE_DIR", str(ide_dir))
        running = RunningBerth(tmp_path_factory.mktemp("berth-home"))
    yield running
    for ws in running.get("/api/workspaces").json()["workspaces"]:
        running.http("DELETE", f"/api/workspaces/{ws['id']}")
    running.stop()


@pytest.fixture(scope="module")
def git(seeded: Seeded, tmp_path_factory: pytest.TempPathFactory) -> Iterator[GitDaemon]:
    with GitDaemon(seeded.root, tmp_path_factory.mktemp("git-daemon")) as daemon:
        yield daemon


def cli(platform: RunningBerth, *args: str) -> Any:
    done = berth(platform.home, "workspace", *args, "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout)


def other_user_token(platform: RunningBerth) -> str:
    name = f"eve{uuid.uuid4().hex[:6]}"
    assert platform.http("POST", "/api/users", json={"username": name, "role": "user",
                                                     "password": "correct horse battery"}).status_code == 201
    with httpx.Client(base_url=platform.url) as client:
        assert client.post("/api/login", json={"username": name, "password": "correct horse battery"}).is_success
        issued = client.post("/api/tokens", json={"name": "e2e"}, headers={"Origin": platform.url})
        assert issued.status_code == 201, issued.text
        return str(issued.json()["token"])


def ide(platform: RunningBerth, workspace_id: str, path: str = "/", token: str | None = None,
        within: float = 60.0) -> httpx.Response:
    """GET on the workspace's IDE host through Berth's proxy (waiting while the IDE is not up yet)."""
    headers = {"Host": f"{workspace_id}.ws.{platform.domain}:{platform.port}"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    deadline = time.monotonic() + within
    while True:
        response = httpx.get(f"{platform.url}{path}", headers=headers, timeout=10)
        if response.status_code not in (502, 503) or time.monotonic() > deadline:
            return response
        time.sleep(0.2)


def test_the_ide_opens_the_repository_for_its_owner_only(platform: RunningBerth, seeded: Seeded,
                                                          git: GitDaemon) -> None:
    name = f"e2e/ide-{uuid.uuid4().hex[:8]}"
    BareRepo.create(seeded.root / f"{name}.git").commit("main", {
        ".gitpod.yml": "tasks:\n  - before: echo before-ran > /tmp/before.txt\n    command: sleep 3600\n",
        "README.md": "hello\n",
    })
    checkout = name.rsplit("/", 1)[-1]
    began = time.monotonic()
    ws = cli(platform, "create", git.url(name))
    assert ws["phase"] == "running", ws
    workspace_id = ws["id"]

    first = ide(platform, workspace_id, "/", token=platform.token)
    print(f"\nIDE answering through the proxy {time.monotonic() - began:.1f} s after `workspace create`")
    # code-server opens the repository: the bare URL sends the browser to that folder.
    assert first.status_code == 302, first.text[:500]
    assert first.headers["location"] == f"./?folder=/workspace/{checkout}"
    page = ide(platform, workspace_id, f"/?folder=/workspace/{checkout}", token=platform.token)
    assert page.status_code == 200 and "<!DOCTYPE html>" in page.text and "workbench" in page.text, page.text[:500]

    assert ide(platform, workspace_id, "/").status_code == 401
    assert ide(platform, workspace_id, "/", token=other_user_token(platform)).status_code == 403
