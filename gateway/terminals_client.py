"""The client side of the supervisor's terminal endpoints (`/_berth/terminals`, see supervisor/terminals.py):
list, write and resize over HTTP; attach as an upgraded connection carrying exec frames (`ExecStream`)."""

from __future__ import annotations

import asyncio
from typing import Any, NoReturn

import httpx

from domain.errors import Conflict, InvalidInput, NotFound, TemporaryError
from gateway.proxy.tunnel import CONNECT_TIMEOUT, SUPERVISOR_HOST
from gateway.ssh.exec_client import ExecStream

TIMEOUT = 10.0


def _headers(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


def _raise_for(status: int, reason: str, index: int | None) -> NoReturn:
    if status == 404:
        raise NotFound(f"the workspace has no terminal {index}" if index is not None else reason)
    if status == 409:
        raise Conflict(reason or f"terminal {index} is not open")
    if status == 400:
        raise InvalidInput(reason)
    raise TemporaryError(f"the workspace's supervisor answered {status}: {reason}")


async def _call(method: str, supervisor_port: int, path: str, token: str | None, index: int | None = None,
                **kwargs: Any) -> httpx.Response:
    url = f"http://{SUPERVISOR_HOST}:{supervisor_port}{path}"
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT, trust_env=False) as client:
            response = await client.request(method, url, headers=_headers(token), **kwargs)
    except httpx.HTTPError as error:
        raise TemporaryError(f"the workspace's supervisor did not answer: {error}") from None
    if response.status_code >= 300:
        _raise_for(response.status_code, response.text.strip()[:500], index)
    return response


async def list_terminals(supervisor_port: int, token: str | None) -> list[dict[str, Any]]:
    terminals: list[dict[str, Any]] = (await _call("GET", supervisor_port, "/_berth/terminals", token)).json()
    return terminals


async def write(supervisor_port: int, token: str | None, index: int, data: bytes) -> None:
    await _call("POST", supervisor_port, f"/_berth/terminals/{index}/write", token, index, content=data)


async def resize(supervisor_port: int, token: str | None, index: int, rows: int, cols: int) -> None:
    await _call("POST", supervisor_port, f"/_berth/terminals/{index}/resize", token, index,
                params={"rows": rows, "cols": cols})


async def attach(supervisor_port: int, token: str | None, index: int,
                 timeout: float = CONNECT_TIMEOUT) -> ExecStream:
    """An attached terminal: STDOUT frames (scrollback first), EXIT when the task ended; send STDIN/RESIZE.
    NotFound for an unknown terminal; TemporaryError when nothing answers."""
    try:
        async with asyncio.timeout(timeout):
            reader, writer = await asyncio.open_connection(SUPERVISOR_HOST, supervisor_port)
    except (OSError, TimeoutError) as error:
        raise TemporaryError(f"the workspace's supervisor on {SUPERVISOR_HOST}:{supervisor_port} does not "
                                    f"answer ({error}); the workspace may be stopping or gone") from None
    try:
        auth = f"Authorization: Bearer {token}\r\n" if token else ""
        writer.write(f"POST /_berth/terminals/{index}/attach HTTP/1.1\r\nHost: {SUPERVISOR_HOST}:{supervisor_port}"
                     f"\r\n{auth}\r\n".encode("ascii"))
        async with asyncio.timeout(timeout):
            head = await reader.readuntil(b"\r\n\r\n")
            status = head.split(b" ", 2)[1] if head.startswith(b"HTTP/1.") else b""
            if status != b"101":
                body = await reader.read(4096)
        if status != b"101":
            writer.close()
            reason = body.decode("utf-8", "replace").strip()
            _raise_for(int(status) if status.isdigit() else 502, reason, index)
        return ExecStream(reader, writer)
    except (OSError, TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as error:
        writer.close()
        raise TemporaryError(f"the workspace's supervisor failed the attach request ({error!r})") from None
    except BaseException:
        writer.close()
        raise
