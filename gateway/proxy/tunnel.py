"""A CONNECT tunnel through a workspace's supervisor to one port inside the workspace.

The platform never dials a container's address (DESIGN.md section 6): each workspace publishes one
supervisor endpoint on 127.0.0.1, and `CONNECT 127.0.0.1:<port>` asks the supervisor to splice us to the
port inside. After its `200` the socket is a plain byte pipe to the service.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from dataclasses import dataclass

from domain.errors import BerthError

SUPERVISOR_HOST = "127.0.0.1"
CONNECT_TIMEOUT = 10.0
_MAX_HEAD = 16 * 1024


class TunnelError(BerthError):
    """The tunnel could not be opened; `status` is what the proxy answers (502: nothing answered)."""

    status = 502


class SupervisorUnreachable(TunnelError):
    pass


class PortUnreachable(TunnelError):
    """The supervisor answered, but could not reach the port (nothing listens there)."""


@dataclass
class Tunnel:
    sock: socket.socket
    port: int
    leftover: bytes
    """Bytes that arrived right behind the CONNECT response: already the service's."""

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()


def connect_request(port: int, token: str | None = None) -> bytes:
    """`token`: the supervisor's own secret, when its config has one (it then refuses anonymous CONNECTs)."""
    auth = f"Proxy-Authorization: Bearer {token}\r\n" if token else ""
    return f"CONNECT 127.0.0.1:{port} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{auth}\r\n".encode()


def _content_length(head: bytes) -> int:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length" and value.strip().isdigit():
            return int(value.strip())
    return 0


async def _error_body(sock: socket.socket, head: bytes, body: bytes) -> str:
    """The supervisor says why in a short plain-text body; read it, briefly, to name the cause."""
    wanted = min(_content_length(head), 4096)
    loop = asyncio.get_running_loop()
    with contextlib.suppress(OSError, TimeoutError):
        async with asyncio.timeout(1.0):
            while len(body) < wanted:
                chunk = await loop.sock_recv(sock, wanted - len(body))
                if not chunk:
                    break
                body += chunk
    return body[:wanted].decode("utf-8", "replace").strip()


def parse_connect_response(head: bytes) -> tuple[int, str]:
    """Status code and reason phrase of the response head (up to the blank line)."""
    status_line = head.split(b"\r\n", 1)[0].decode("latin-1")
    version, _, rest = status_line.partition(" ")
    code, _, reason = rest.partition(" ")
    if not version.startswith("HTTP/1.") or not code.isdigit():
        raise ValueError(f"not an HTTP response: {status_line[:80]!r}")
    return int(code), reason.strip()


async def _exchange(loop: asyncio.AbstractEventLoop, sock: socket.socket, request: bytes) -> bytes:
    """Sends the CONNECT and reads the response head (with whatever came right behind it)."""
    await loop.sock_sendall(sock, request)
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = await loop.sock_recv(sock, 4096)
        if not chunk:
            raise SupervisorUnreachable("the workspace's supervisor closed the connection during CONNECT")
        head += chunk
        if len(head) > _MAX_HEAD:
            raise SupervisorUnreachable("the workspace's supervisor sent an oversized CONNECT response")
    return head


async def open_tunnel(supervisor_port: int, port: int, *, token: str | None = None,
                      timeout: float = CONNECT_TIMEOUT) -> Tunnel:
    loop = asyncio.get_running_loop()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setblocking(False)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # interactive traffic (terminals, LSP)
    try:
        async with asyncio.timeout(timeout):
            try:
                await loop.sock_connect(sock, (SUPERVISOR_HOST, supervisor_port))
            except OSError as error:
                raise SupervisorUnreachable(
                    f"the workspace's supervisor on {SUPERVISOR_HOST}:{supervisor_port} does not answer "
                    f"({error.strerror or error}); the workspace may be stopping or gone") from None
            try:
                head = await _exchange(loop, sock, connect_request(port, token))
            except OSError as error:
                # Docker's port publisher accepts before the container listens, then resets: a workspace
                # that is starting (or stopping), not a fault of the proxy.
                raise SupervisorUnreachable(
                    f"the workspace's supervisor reset the connection ({error.strerror or error}); the "
                    "workspace may be starting or stopping") from None
        head, _, leftover = head.partition(b"\r\n\r\n")
        try:
            status, reason = parse_connect_response(head)
        except ValueError as error:
            raise SupervisorUnreachable(f"the workspace's supervisor answered CONNECT with {error}") from None
        if status != 200:
            why = await _error_body(sock, head, leftover) or f"{status} {reason}".strip()
            raise PortUnreachable(f"nothing answers on port {port} in the workspace (the supervisor said: {why})")
        return Tunnel(sock, port, leftover)
    except TimeoutError:
        sock.close()
        raise SupervisorUnreachable(f"the workspace's supervisor did not open a tunnel to port {port} "
                                    f"within {timeout:g} s") from None
    except BaseException:
        sock.close()
        raise
