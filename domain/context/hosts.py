"""Host names in context URLs: validation, loopback detection and the hosts Berth knows by name."""

from __future__ import annotations

import ipaddress
import re

from domain.context.flavour import HostFlavour
from domain.errors import InvalidInput

FIELD = "context_url"

KNOWN_HOSTS: dict[str, HostFlavour] = {
    "github.com": HostFlavour.GITHUB,
    "gitlab.com": HostFlavour.GITLAB,
    "gitea.com": HostFlavour.GITEA,
}
"""Hosts whose flavour is certain from the name alone; any other host is recognized by its path form."""

# Underscores are not valid in DNS host names, but internal git hosts use them and git accepts them.
_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")
_DOTTED_DIGITS = re.compile(r"[0-9.]+")


def normalize_host(host: str) -> str:
    """The host in canonical spelling (lowercase, compressed IPv6 in brackets), or InvalidInput."""
    if not host:
        raise InvalidInput("the URL names no host", field=FIELD)
    if host.startswith("["):
        if not host.endswith("]"):
            raise InvalidInput(f"unclosed '[' in host {host!r}", field=FIELD)
        try:
            return f"[{ipaddress.IPv6Address(host[1:-1]).compressed}]"
        except ValueError:
            raise InvalidInput(f"{host!r} is not an IPv6 address", field=FIELD) from None
    lowered = host.lower()
    if _DOTTED_DIGITS.fullmatch(lowered):
        try:
            return str(ipaddress.IPv4Address(lowered))
        except ValueError:
            raise InvalidInput(f"{host!r} is not an IPv4 address", field=FIELD) from None
    labels = lowered.split(".")
    if len(lowered) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        raise InvalidInput(f"{host!r} is not a valid host name", field=FIELD)
    return lowered


def is_loopback(host: str) -> bool:
    """True for hosts that can only mean this machine; plain http is accepted only for them."""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def flavour_of_host(host: str) -> HostFlavour:
    return KNOWN_HOSTS.get(host, HostFlavour.UNKNOWN)
