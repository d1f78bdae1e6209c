"""Nodes and pins on a real `berth up`: the node registers itself, counts the real workspace running on it
while it runs and frees the slot when it stops; pinning through the CLI shows in the list."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.berth_process import RunningBerth, berth, cli, node_of, other_user_token, repository
from tests.gitserver import GitDaemon, Seeded

pytestmark = pytest.mark.docker


def nodes(platform: RunningBerth) -> list[dict[str, Any]]:
    response = platform.get("/api/nodes")
    assert response.status_code == 200, response.text
    return list(response.json()["nodes"])


def running_on_node(platform: RunningBerth, count: int, within: float = 15.0) -> dict[str, Any]:
    """The node's entry once it says `count` instances run (the read model follows the log closely)."""
    deadline = time.monotonic() + within
    while True:
        (node,) = nodes(platform)
        if node["running"] == count or time.monotonic() > deadline:
            assert node["running"] == count, node
            return node
        time.sleep(0.1)


def test_the_node_registers_and_counts_a_real_workspace_while_it_runs(platform: RunningBerth, seeded: Seeded,
                                                                       git: GitDaemon) -> None:
    (node,) = nodes(platform)
    assert node["name"] == node_of(platform.home)
    assert node["cpus"] >= 1 and node["memory_bytes"] > 0 and node["capacity"] >= 1 and node["registered_at"]
    assert node["running"] == 0
    assert platform.get("/api/nodes", token=other_user_token(platform)).status_code == 403

    url = repository(seeded, git, {".gitpod.yml": "tasks:\n  - command: sleep infinity\n"})
    ws = cli(platform, "create", url)
    assert ws["phase"] == "running", ws
    running_on_node(platform, 1)
    shown = {w["id"]: w for w in platform.get("/api/admin/workspaces").json()["workspaces"]}
    assert shown[ws["id"]]["node"] == node["name"]

    assert cli(platform, "stop", ws["id"])["phase"] == "stopped"
    running_on_node(platform, 0)

    # Pinning through the CLI; the list shows the mark.
    assert cli(platform, "pin", ws["id"])["pinned"] is True
    listed = berth(platform.home, "workspace", "list")
    assert listed.returncode == 0, listed.stderr
    (row,) = [line for line in listed.stdout.splitlines() if ws["id"] in line]
    assert "📌" in row
    assert cli(platform, "unpin", ws["id"])["pinned"] is False


def test_a_restart_on_the_same_machine_registers_nothing_new(tmp_path: Path) -> None:
    """`berth up` again on the same home and engine: the node stream keeps its one registration."""
    RunningBerth(tmp_path).stop()
    again = RunningBerth(tmp_path)
    try:
        page = again.get("/api/events?after=0&limit=1000")
        assert page.status_code == 200, page.text
        registered = [e for e in page.json()["events"] if e["type"] == "node.registered"]
        assert len(registered) == 1 and registered[0]["stream_id"] == f"node-{node_of(tmp_path)}"
        (node,) = nodes(again)
        assert node["running"] == 0
    finally:
        again.stop()
