"""Task terminals through the gateway: a real supervisor process runs an interactive shell as its task, and
the API bridges to it (list, WebSocket attach, write, resize), for the workspace's owner only."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus

from tests.integration.gateway.conftest import Berth, bearer
from tests.integration.gateway.workspaces import running_workspace
from tests.integration.supervisor.running import config_for, running
from tests.waiting import eventually

WORKSPACE = "busy-bee-aaaaaa"


@pytest.fixture
async def supervisor_port(tmp_path: Path, berth: Berth) -> AsyncIterator[int]:
    task = {"name": "shell", "command": "echo ready-marker; PS1='$ ' exec bash --norc --noprofile -i"}
    async with running(config_for(tmp_path, tasks=[task]), tmp_path) as supervisor:
        await running_workspace(berth.platform.stores.events, WORKSPACE, "admin", supervisor.port, [])
        await berth.project()
        yield supervisor.port


async def until(socket: ClientConnection, text: bytes, seen: list[bytes], within: float = 10.0) -> None:
    async with asyncio.timeout(within):
        while text not in b"".join(seen):
            message = await socket.recv()
            seen.append(message if isinstance(message, bytes) else message.encode())


async def test_list_write_and_resize_for_the_owner_only(
        berth: Berth, api: httpx.AsyncClient, supervisor_port: int) -> None:
    url = f"/api/workspaces/{WORKSPACE}/terminals"
    owner = bearer(berth.admin_token)

    async def opened() -> bool:
        listed = await api.get(url, headers=owner)
        return listed.status_code == 200 and listed.json()[0]["open"] and listed.json()[0]["phase"] == "command"

    await eventually(opened, within=15)
    [shell] = (await api.get(url, headers=owner)).json()
    assert shell["name"] == "shell" and shell["index"] == 0 and isinstance(shell["pid"], int)
    stranger = bearer(await berth.user_token("mallory"))
    refused = await api.get(url, headers=stranger)
    assert refused.status_code == 404 and refused.headers["content-type"] == "application/problem+json"
    assert (await api.post(url + "/0/write", content=b"x", headers=stranger)).status_code == 404
    missing = await api.post(url + "/7/write", content=b"x", headers=owner)
    assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"
    assert (await api.post(url + "/0/resize?rows=0&cols=3", headers=owner)).status_code == 422
    assert (await api.post(url + "/0/resize?rows=21&cols=77", headers=owner)).status_code == 204
    assert (await api.post(url + "/0/write", content=b"stty size > ../size.txt\n", headers=owner)).status_code == 204
    assert (await api.get(url, headers=owner)).json()[0]["rows"] == 21
    plain = await api.get(url + "/0", headers=owner)
    assert plain.status_code == 426


async def test_websocket_attach(berth: Berth, served: str, supervisor_port: int) -> None:
    ws_url = served.replace("http://", "ws://") + f"/api/workspaces/{WORKSPACE}/terminals/0"
    owner = bearer(berth.admin_token)
    async with connect(ws_url, additional_headers=owner) as first, connect(ws_url, additional_headers=owner) as second:
        seen_first: list[bytes] = []
        seen_second: list[bytes] = []
        await until(first, b"ready-marker", seen_first)  # the scrollback, then live output
        await first.send(b"echo $((6 * 7))-answer\n")
        await until(first, b"42-answer", seen_first)
        await until(second, b"42-answer", seen_second)
        await first.send(json.dumps({"resize": [27, 99]}))
        await asyncio.sleep(0.2)
        await second.send(b"stty size\n")
        await until(first, b"27 99", seen_first)
    # Both detached: the task runs on, and a new client gets the scrollback and can type.
    async with connect(ws_url, additional_headers=owner) as third:
        seen: list[bytes] = []
        await until(third, b"27 99", seen)
        await third.send(b"exit 4\n")
        async with asyncio.timeout(10):
            while True:
                message = await third.recv()
                if isinstance(message, str) and message.startswith("{"):
                    assert json.loads(message) == {"exit": 4}
                    break
    stranger = bearer(await berth.user_token("mallory"))
    with pytest.raises(InvalidStatus) as refused:
        async with connect(ws_url, additional_headers=stranger):
            pass
    assert refused.value.response.status_code == 404
    with pytest.raises(InvalidStatus) as unknown:
        async with connect(ws_url.replace("/terminals/0", "/terminals/9"), additional_headers=owner):
            pass
    assert unknown.value.response.status_code == 404
