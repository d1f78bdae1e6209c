"""A workspace's whole life, driven as a user drives it: `berth up`, then the `berth` CLI and the HTTP API,
against the real Docker engine and a real git server on loopback. Nothing is faked: the workspace is a
container, its tasks really run, its port is reached through Berth's proxy."""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.berth_process import RunningBerth, berth, cli, get_on_host, other_user_token, repository
from tests.gitserver import GitDaemon, Seeded

pytestmark = pytest.mark.docker

SERVE = "python3 -m http.server 8000"


def through_proxy(platform: RunningBerth, workspace_id: str, port: int, path: str = "/",
                  token: str | None = None, within: float = 30.0) -> httpx.Response:
    """GET a workspace port through Berth's proxy (waiting for the port to listen)."""
    return get_on_host(platform, f"{port}-{workspace_id}", path, token, within)


def exec_in(workspace_id: str, command: str) -> str:
    container = subprocess.run(["docker", "ps", "-q", "--filter", f"label=berth.workspace={workspace_id}"],
                               capture_output=True, text=True, check=True).stdout.strip()
    assert container, f"no running container for {workspace_id}"
    return subprocess.run(["docker", "exec", "-u", "berth", container, "bash", "-c", command],
                          capture_output=True, text=True, check=True).stdout


def test_gitpod_repo_runs_tasks_serves_its_port_privately_and_keeps_work_across_restart(
    platform: RunningBerth, seeded: Seeded, git: GitDaemon,
) -> None:
    marker = uuid.uuid4().hex
    url = repository(seeded, git, {
        ".gitpod.yml": f"tasks:\n  - init: echo {marker} > built.txt\n    command: {SERVE}\n"
                       "ports:\n  - port: 8000\n    visibility: private\n",
        "README.md": "hello\n",
    })
    ws = cli(platform, "create", url)
    assert ws["phase"] == "running", ws
    workspace_id = ws["id"]

    page = through_proxy(platform, workspace_id, 8000, "/built.txt", token=platform.token)
    assert page.status_code == 200 and page.text.strip() == marker
    assert through_proxy(platform, workspace_id, 8000, "/built.txt").status_code == 401
    stranger = other_user_token(platform)
    assert through_proxy(platform, workspace_id, 8000, "/built.txt", token=stranger).status_code == 403

    checkout = url.rsplit("/", 1)[-1].removesuffix(".git")  # cloned into /workspace/<repository name>
    exec_in(workspace_id, f"echo edited-{marker} > /workspace/{checkout}/mine.txt")
    stopped = cli(platform, "stop", workspace_id)
    assert stopped["phase"] == "stopped" and stopped["last_backup"]["bytes"] > 0
    assert cli(platform, "stop", workspace_id)["phase"] == "stopped"  # stopping twice is fine
    restarted = cli(platform, "start", workspace_id)
    assert restarted["phase"] == "running" and restarted["content_source"] == "backup"
    assert through_proxy(platform, workspace_id, 8000, "/mine.txt", token=platform.token).text.strip() == \
        f"edited-{marker}"
    # init does not run again on a restart: built.txt is the one from the first start.
    assert through_proxy(platform, workspace_id, 8000, "/built.txt", token=platform.token).text.strip() == marker


def test_devcontainer_repo_runs_its_lifecycle_commands(platform: RunningBerth, seeded: Seeded,
                                                       git: GitDaemon) -> None:
    url = repository(seeded, git, {
        ".devcontainer/devcontainer.json": '{\n  // a comment, as the spec allows\n  "image": "mcr.microsoft.com/'
        'devcontainers/base:debian",\n  "forwardPorts": [8000],\n  "postCreateCommand": "echo created > '
        'created.txt",\n  "postStartCommand": "nohup python3 -m http.server 8000 > /tmp/http.log 2>&1 &",\n}\n',
    })
    ws = cli(platform, "create", url)
    assert ws["phase"] == "running", ws
    page = through_proxy(platform, ws["id"], 8000, "/created.txt", token=platform.token)
    assert page.status_code == 200 and page.text.strip() == "created"


def test_dockerfile_image_is_built_and_used(platform: RunningBerth, seeded: Seeded, git: GitDaemon) -> None:
    marker = uuid.uuid4().hex
    url = repository(seeded, git, {
        ".gitpod.yml": f"image:\n  file: .gitpod.Dockerfile\ntasks:\n  - command: {SERVE}\n"
                       "ports:\n  - port: 8000\n    visibility: public\n",
        # The base image runs as the `berth` user, with passwordless sudo (like Gitpod's images).
        ".gitpod.Dockerfile": f"FROM berth/base:latest\nRUN echo {marker} | sudo tee /opt/marker.txt\n",
    })
    ws = cli(platform, "create", url)
    assert ws["phase"] == "running", ws
    assert exec_in(ws["id"], "cat /opt/marker.txt").strip() == marker
    # A public port needs no owner.
    assert through_proxy(platform, ws["id"], 8000, "/").status_code == 200
    logs = cli(platform, "logs", ws["id"])
    assert logs["build"]["status"] == "built" and any(marker in line for line in logs["build"]["lines"])


def test_a_failing_task_leaves_the_workspace_up_and_marks_the_task(platform: RunningBerth, seeded: Seeded,
                                                                   git: GitDaemon) -> None:
    url = repository(seeded, git, {".gitpod.yml": "tasks:\n  - name: broken\n    command: exit 7\n"})
    ws = cli(platform, "create", url)
    assert ws["phase"] == "running"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        tasks = cli(platform, "status", ws["id"]).get("tasks", [])
        if tasks and tasks[0]["phase"] == "failed":
            break
        time.sleep(0.3)
    assert tasks == [{"index": 0, "name": "broken", "phase": "failed", "exit_code": 7}]


def test_a_bad_config_fails_with_the_reason_and_leaves_nothing_running(platform: RunningBerth, seeded: Seeded,
                                                                      git: GitDaemon) -> None:
    url = repository(seeded, git, {".gitpod.yml": "ports:\n  - port: nope\n"})
    done = berth(platform.home, "workspace", "create", url, "--json")
    assert done.returncode == 1
    ws = json.loads(done.stdout)
    assert ws["phase"] == "failed" and ws["reason"].startswith(".gitpod.yml:2:")
    listed = subprocess.run(["docker", "ps", "-aq", "--filter", f"label=berth.workspace={ws['id']}"],
                            capture_output=True, text=True, check=True).stdout
    assert listed.strip() == ""


def test_start_while_running_conflicts_and_racing_starts_make_one_instance(platform: RunningBerth, seeded: Seeded,
                                                                          git: GitDaemon) -> None:
    url = repository(seeded, git, {"README.md": "x\n"})
    ws = cli(platform, "create", url)
    assert platform.http("POST", f"/api/workspaces/{ws['id']}/start").status_code == 409
    cli(platform, "stop", ws["id"])
    with httpx.Client(base_url=platform.url, headers={"Authorization": f"Bearer {platform.token}"}) as client:
        import concurrent.futures

        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            codes = sorted(pool.map(lambda _: client.post(f"/api/workspaces/{ws['id']}/start").status_code,
                                    range(4)))
    assert codes.count(202) == 1 and codes.count(409) == 3


def test_deleting_a_running_workspace_removes_its_container_volume_and_backups(
    platform: RunningBerth, seeded: Seeded, git: GitDaemon,
) -> None:
    url = repository(seeded, git, {"README.md": "x\n"})
    ws = cli(platform, "create", url)
    cli(platform, "stop", ws["id"])
    cli(platform, "start", ws["id"])
    assert platform.http("DELETE", f"/api/workspaces/{ws['id']}").is_success
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        containers = subprocess.run(["docker", "ps", "-aq", "--filter", f"label=berth.workspace={ws['id']}"],
                                    capture_output=True, text=True, check=True).stdout.strip()
        volumes = subprocess.run(["docker", "volume", "ls", "-q", "--filter", f"name={ws['id']}"],
                                 capture_output=True, text=True, check=True).stdout.strip()
        backups = list((platform.home / "blobs").rglob(f"*{ws['id']}*"))
        if not containers and not volumes and not backups:
            break
        time.sleep(0.3)
    assert (containers, volumes, backups) == ("", "", [])
    assert platform.http("GET", f"/api/workspaces/{ws['id']}").status_code == 404


def test_an_invalid_context_url_is_refused_and_nothing_is_created(platform: RunningBerth) -> None:
    before = len(platform.get("/api/workspaces").json()["workspaces"])
    done = berth(platform.home, "workspace", "create", "ftp://example.org/repo", "--json")
    assert done.returncode == 1 and "context_url" in done.stdout
    assert len(platform.get("/api/workspaces").json()["workspaces"]) == before


def wait_for_phase(platform: RunningBerth, workspace_id: str, phase: str, within: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + within
    while True:
        ws = platform.get(f"/api/workspaces/{workspace_id}").json()
        if ws.get("phase") == phase or time.monotonic() > deadline:
            return dict(ws)
        time.sleep(0.2)


def test_a_container_killed_behind_berths_back_fails_the_instance_with_the_reason(
    platform: RunningBerth, seeded: Seeded, git: GitDaemon,
) -> None:
    url = repository(seeded, git, {"README.md": "x\n"})
    ws = cli(platform, "create", url)
    container = subprocess.run(["docker", "ps", "-q", "--filter", f"label=berth.workspace={ws['id']}"],
                               capture_output=True, text=True, check=True).stdout.strip()
    subprocess.run(["docker", "kill", container], capture_output=True, check=True)
    failed = wait_for_phase(platform, ws["id"], "failed")
    assert failed["phase"] == "failed" and failed["reason"] == "the container exited with code 137"
    # The work is not lost: the volume stays, and the next start reuses it.
    restarted = cli(platform, "start", ws["id"])
    assert restarted["phase"] == "running" and restarted["content_source"] == "volume"


def test_a_container_removed_while_berth_was_down_is_noticed_at_start(
    tmp_path: Path, seeded: Seeded, git: GitDaemon,
) -> None:
    first = RunningBerth(tmp_path)
    url = repository(seeded, git, {"README.md": "x\n"})
    done = berth(tmp_path, "workspace", "create", url, "--json")
    workspace_id = json.loads(done.stdout)["id"]
    first.stop()
    subprocess.run(["docker", "rm", "-f", *subprocess.run(
        ["docker", "ps", "-aq", "--filter", f"label=berth.workspace={workspace_id}"],
        capture_output=True, text=True, check=True).stdout.split()], capture_output=True, check=True)
    second = RunningBerth(tmp_path)
    try:
        failed = wait_for_phase(second, workspace_id, "failed")
        assert failed["phase"] == "failed" and failed["reason"] == "the container vanished"
    finally:
        second.http("DELETE", f"/api/workspaces/{workspace_id}")
        second.stop()
