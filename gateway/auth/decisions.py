"""Who may do what: pure functions of an identity and the facts of a workspace."""

from __future__ import annotations

from enum import Enum
from urllib.parse import urlsplit

from gateway.auth.identity import Identity


class Access(Enum):
    ALLOW = "allow"
    UNAUTHENTICATED = "unauthenticated"
    FORBIDDEN = "forbidden"


def may_see_workspace(identity: Identity, owner: str) -> bool:
    """API access: the owner, or an admin (who runs the installation)."""
    return identity.is_admin or identity.username == owner


def port_access(visibility: str, identity: Identity | None, owner: str) -> Access:
    """Traffic into a workspace: public ports are open to anyone; private ports and the IDE only to the
    owner. Admins are not let in: a workspace holds the owner's code and credentials, and the API already
    gives admins every control (stop, delete) they need."""
    if visibility == "public":
        return Access.ALLOW
    if identity is None:
        return Access.UNAUTHENTICATED
    return Access.ALLOW if identity.username == owner else Access.FORBIDDEN


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def is_cross_site_write(method: str, origin: str | None, host: str | None) -> bool:
    """A state-changing request whose `Origin` names another host than the one it was sent to.

    Cookies are sent with same-site requests, and every workspace port (`*.ws.<domain>`) is same-site with
    the gateway, so SameSite=Lax alone would let a page served from a workspace post to the API with the
    visitor's cookie. Browsers always send Origin on non-GET requests; clients that send none are not
    browsers and carry no ambient cookie risk.
    """
    if method.upper() in SAFE_METHODS or not origin:
        return False
    if origin == "null":
        return True
    return urlsplit(origin).netloc.lower() != (host or "").lower()
