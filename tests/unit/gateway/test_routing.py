"""Host names -> workspace and port."""

from __future__ import annotations

import pytest

from domain.errors import InvalidInput
from gateway.proxy.routing import WorkspaceTarget, gateway_port_of, parse_workspace_host


@pytest.mark.parametrize(("host", "target"), [
    ("3000-amber-otter-k3x9qa.ws.localhost:8080", WorkspaceTarget("amber-otter-k3x9qa", 3000)),
    ("3000-amber-otter-k3x9qa.ws.localhost", WorkspaceTarget("amber-otter-k3x9qa", 3000)),
    ("amber-otter-k3x9qa.ws.localhost:8080", WorkspaceTarget("amber-otter-k3x9qa", None)),
    ("AMBER-otter-k3x9qa.WS.LocalHost", WorkspaceTarget("amber-otter-k3x9qa", None)),
    ("65535-w.ws.berth.example.com", WorkspaceTarget("w", 65535)),
])
def test_workspace_hosts(host: str, target: WorkspaceTarget) -> None:
    domain = "berth.example.com" if "example" in host else "localhost"
    assert parse_workspace_host(host, domain) == target


def test_the_ide_host_has_no_port() -> None:
    target = parse_workspace_host("w1.ws.localhost", "localhost")
    assert target is not None and target.is_ide


@pytest.mark.parametrize("host", ["localhost:8080", "127.0.0.1:8080", "ws.localhost", "example.com",
                                  "3000-w.ws.example.com", "w.wsx.localhost", ""])
def test_other_hosts_are_the_api(host: str) -> None:
    assert parse_workspace_host(host, "localhost") is None


@pytest.mark.parametrize("host", ["a.b.ws.localhost", "70000-w.ws.localhost", "0-w.ws.localhost", "3000-.ws.localhost",
                                  "-w.ws.localhost", "3000-W_x.ws.localhost", "9abc.ws.localhost", ".ws.localhost"])
def test_malformed_workspace_hosts_are_refused_not_passed_to_the_api(host: str) -> None:
    with pytest.raises(InvalidInput):
        parse_workspace_host(host, "localhost")


def test_gateway_port_of_a_host() -> None:
    assert gateway_port_of("3000-w.ws.localhost:8080") == 8080
    assert gateway_port_of("3000-w.ws.localhost") is None
    assert gateway_port_of("[::1]:9000") == 9000
