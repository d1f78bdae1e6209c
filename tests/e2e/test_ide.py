"""Browser VS Code in a workspace, through Berth's proxy: `berth up` with this node's code-server install
(scripts/install-code-server.sh), a real workspace container, and the IDE host
`http://<wsid>.ws.<domain>:<port>/` answering its owner only. (A browser drives it in a later test.)"""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import httpx
import pytest

from tests.e2e.berth_process import RunningBerth, cli, get_on_host, other_user_token
from tests.gitserver import BareRepo, GitDaemon, Seeded

# The first run installs code-server (minutes); later runs find it cached.
pytestmark = [pytest.mark.docker, pytest.mark.timeout(1200)]

REPO = Path(__file__).resolve().parents[2]


def ide(platform: RunningBerth, workspace_id: str, path: str = "/", token: str | None = None,
        within: float = 60.0) -> httpx.Response:
    """GET on the workspace's IDE host through Berth's proxy (waiting while the IDE is not up yet)."""
    return get_on_host(platform, workspace_id, path, token, within)


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
