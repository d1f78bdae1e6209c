"""The client side of the supervisor's terminal endpoints (`/_berth/terminals`, see supervisor/terminals.py):
list, write and resize over HTTP; attach as an upgraded connection carrying exec frames (`ExecStream`)."""

from __future__ import annotations

from typing import Any, NoReturn

import httpx

from domain.errors import Conflict, InvalidInput, NotFound, TemporaryError
from gateway.proxy.tunnel import CONNECT_TIMEOUT, SUPERVISOR_HOST, SupervisorUnreachable
from gateway.ssh.exec_client import ExecStream, upgrade

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
        answer = await upgrade(supervisor_port, f"/_berth/terminals/{index}/attach", token=token, timeout=timeout)
    except SupervisorUnreachable as error:
        raise TemporaryError(str(error)) from None
    if answer.stream is None:
        _raise_for(answer.status, answer.reason, index)
    return answer.stream
