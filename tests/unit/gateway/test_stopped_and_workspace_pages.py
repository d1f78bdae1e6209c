"""The page a stopped workspace's host answers with, the link it offers, and the dashboard's workspace page."""

from __future__ import annotations

import json

from starlette.types import Scope

from gateway.dashboard.assets import asset
from gateway.dashboard.page import CONTENT_SECURITY_POLICY, Shell, not_found_page, workspace_page
from gateway.proxy.pages import not_running_response, start_url


def scope(accept: str) -> Scope:
    return {"type": "http", "headers": [(b"accept", accept.encode())]}


def test_the_start_link_goes_to_the_dashboard_on_the_gateway_host() -> None:
    assert start_url("localhost", 8080, "amber-otter-k3x9qa", None) == (
        "http://localhost:8080/workspaces/amber-otter-k3x9qa?start=1")
    assert start_url("berth.example", None, "amber-otter-k3x9qa", 3000) == (
        "http://berth.example/workspaces/amber-otter-k3x9qa?start=1&port=3000")


def test_a_browser_gets_the_reason_and_the_start_link_escaped() -> None:
    response = not_running_response(scope("text/html"), "amber-otter-k3x9qa", "is failed", "<script>x</script>",
                                     4000, "http://localhost:8080/workspaces/amber-otter-k3x9qa?start=1&port=1")
    body = bytes(response.body).decode()
    assert response.status_code == 503 and response.headers["cache-control"] == "no-store"
    assert "Workspace <strong>amber-otter-k3x9qa</strong> is failed." in body
    assert "Reason: &lt;script&gt;x&lt;/script&gt;" in body and "<script>" not in body
    assert 'href="http://localhost:8080/workspaces/amber-otter-k3x9qa?start=1&amp;port=1" id=start>' in body


def test_without_the_link_the_page_says_only_the_owner_can_start_it() -> None:
    body = bytes(not_running_response(scope("text/html"), "w", "was never started", None, 4000, None).body).decode()
    assert "Start workspace" not in body and "Only its owner can start it." in body and "Reason" not in body


def test_other_clients_get_the_problem_as_before() -> None:
    response = not_running_response(scope("application/json"), "w", "is stopped", "inactive for 30 min", 4000, "x")
    assert response.status_code == 503
    assert json.loads(bytes(response.body))["detail"] == (
        "workspace 'w' is stopped (inactive for 30 min): start it to reach port 4000")


def test_the_workspace_page_shows_the_start_offer_only_when_asked_and_runs_no_inline_script() -> None:
    script, stylesheet = asset("workspace.js"), asset("dashboard.css")
    assert script is not None and stylesheet is not None
    shell = Shell(script, stylesheet, "alice", is_admin=False)
    offered = workspace_page(shell, "amber-otter-k3x9qa", offer_start=True)
    plain = workspace_page(shell, "amber-otter-k3x9qa")
    assert 'id="start-panel">' in offered and 'id="start-panel" hidden>' in plain
    assert 'data-workspace="amber-otter-k3x9qa"' in plain and 'id="timeline"' in plain
    assert plain.count("<script") == 1 and f'src="{script.url}"' in plain
    assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY
    assert "amber" not in not_found_page(stylesheet)
