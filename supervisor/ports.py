"""Which ports something listens on inside the workspace, from /proc/net/tcp and /proc/net/tcp6.

Only sockets the supervisor's CONNECT tunnel can reach count: listening (state 0A) on a wildcard
address or on loopback. A server bound to the container's own non-loopback address is not
reachable through 127.0.0.1 and so is not reported. Reading /proc is cheap (no process list, no
privileges) and sees the container's network namespace, which is exactly the workspace.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
import struct
from collections.abc import Callable, Iterable
from pathlib import Path

log = logging.getLogger("ports")

_LISTEN = "0A"
_REACHABLE = frozenset(
    {
        ipaddress.ip_address("0.0.0.0"),
        ipaddress.ip_address("127.0.0.1"),
        ipaddress.ip_address("::"),
        ipaddress.ip_address("::1"),
        # An IPv6 socket bound to an IPv4-mapped address serves IPv4 clients.
        ipaddress.ip_address("::ffff:0.0.0.0"),
        ipaddress.ip_address("::ffff:127.0.0.1"),
    }
)
PROC_FILES = (Path("/proc/net/tcp"), Path("/proc/net/tcp6"))
BACKOFF = 1.5


def decode_address(hex_address: str) -> tuple[ipaddress.IPv4Address | ipaddress.IPv6Address, int]:
    """`0100007F:1F90` → (127.0.0.1, 8080). The kernel prints each 32-bit word of the address in host
    byte order (so the bytes look reversed on little-endian machines) and the port in network order."""
    address, _, port = hex_address.partition(":")
    if len(address) not in (8, 32) or not port:
        raise ValueError(f"not a /proc/net/tcp address: {hex_address!r}")
    words = [int(address[i : i + 8], 16) for i in range(0, len(address), 8)]
    raw = b"".join(struct.pack("=I", word) for word in words)
    family = socket.AF_INET if len(raw) == 4 else socket.AF_INET6
    return ipaddress.ip_address(socket.inet_ntop(family, raw)), int(port, 16)


def parse_listening(text: str) -> set[int]:
    """The reachable listening ports in the text of /proc/net/tcp or /proc/net/tcp6."""
    ports: set[int] = set()
    for line in text.splitlines()[1:]:  # the first line is the column header
        fields = line.split()
        if len(fields) < 4 or fields[3] != _LISTEN:
            continue
        try:
            address, port = decode_address(fields[1])
        except ValueError:
            continue  # a line this parser does not understand must not hide the others
        if address in _REACHABLE:
            ports.add(port)
    return ports


def listening_ports(files: Iterable[Path] = PROC_FILES, exclude: Iterable[int] = ()) -> set[int]:
    ports: set[int] = set()
    for path in files:
        try:
            ports |= parse_listening(path.read_text())
        except FileNotFoundError:
            continue  # no IPv6 in this kernel or namespace
    return ports - set(exclude)


class PortWatcher:
    """Samples the listening ports and tells `on_change` when the set changed: every `first_interval` seconds
    at first and after each change (a starting workspace opens its servers then, and the first port should show
    at once), backing off to every `interval` seconds while nothing changes. A sample reads two small files."""

    def __init__(
        self,
        exclude: Iterable[int],
        on_change: Callable[[frozenset[int], frozenset[int]], None],
        interval: float = 1.0,
        files: Iterable[Path] = PROC_FILES,
        first_interval: float = 0.05,
    ) -> None:
        self.ports: frozenset[int] = frozenset()
        self._exclude = frozenset(exclude)
        self._on_change = on_change
        self._interval = interval
        self._first_interval = min(first_interval, interval)
        self._files = tuple(files)
        self._delay = self._first_interval

    def sample(self) -> bool:
        """Read the ports now; True when they changed."""
        try:
            current = frozenset(listening_ports(self._files, self._exclude))
        except OSError as error:
            log.warning("reading the listening ports failed: %s", error)
            return False
        if current != self.ports:
            previous, self.ports = self.ports, current
            self._on_change(previous, current)
            return True
        return False

    def next_delay(self, changed: bool) -> float:
        """The wait before the next sample: the first interval again after a change, else a longer one."""
        self._delay = self._first_interval if changed else min(self._delay * BACKOFF, self._interval)
        return self._delay

    async def run(self) -> None:
        while True:
            changed = self.sample()
            await asyncio.sleep(self.next_delay(changed))
