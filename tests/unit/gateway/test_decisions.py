"""Who may touch a workspace, who may pass the proxy, which writes are cross-site."""

from __future__ import annotations

import pytest

from domain.users.names import Role
from gateway.auth.decisions import Access, is_cross_site_write, may_see_workspace, port_access
from gateway.auth.identity import Identity, Via

ALICE = Identity("alice", Role.USER, "t1", Via.BEARER)
BOB = Identity("bob", Role.USER, "t2", Via.COOKIE)
ADMIN = Identity("admin", Role.ADMIN, "t3", Via.BEARER)


def test_the_api_lets_the_owner_and_admins_touch_a_workspace() -> None:
    assert may_see_workspace(ALICE, "alice")
    assert may_see_workspace(ADMIN, "alice")
    assert not may_see_workspace(BOB, "alice")


@pytest.mark.parametrize(("visibility", "identity", "access"), [
    ("public", None, Access.ALLOW),
    ("public", BOB, Access.ALLOW),
    ("private", None, Access.UNAUTHENTICATED),
    ("private", ALICE, Access.ALLOW),
    ("private", BOB, Access.FORBIDDEN),
    ("private", ADMIN, Access.FORBIDDEN),
])
def test_ports_are_open_when_public_and_the_owners_alone_when_private(
        visibility: str, identity: Identity | None, access: Access) -> None:
    assert port_access(visibility, identity, "alice") is access


@pytest.mark.parametrize(("method", "origin", "host", "cross"), [
    ("GET", "http://evil.example", "localhost:8080", False),
    ("POST", None, "localhost:8080", False),
    ("POST", "http://localhost:8080", "localhost:8080", False),
    ("POST", "http://3000-w.ws.localhost:8080", "localhost:8080", True),
    ("DELETE", "http://evil.example", "localhost:8080", True),
    ("PATCH", "null", "localhost:8080", True),
])
def test_cross_site_writes(method: str, origin: str | None, host: str, cross: bool) -> None:
    assert is_cross_site_write(method, origin, host) is cross
