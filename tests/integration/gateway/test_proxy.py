"""The workspace proxy end to end over real sockets: uvicorn serving the gateway, a real CONNECT tunnel
endpoint, and real HTTP and WebSocket services behind it."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus
from websockets.typing import Subprotocol

from tests.integration.gateway.conftest import Berth, bearer, free_port
from tests.integration.gateway.services import (
    ConnectServer,
    HttpService,
    connect_server,
    http_service,
    json_body,
    websocket_echo,
)
from tests.integration.gateway.workspaces import running_workspace

WORKSPACE = "amber-otter-k3x9qa"


@dataclass
class Setup:
    berth: Berth
    url: str
    tunnel: ConnectServer
    http: HttpService
    ws_port: int
    alice: str
    bob: str

    @property
    def gateway_port(self) -> int:
        return self.berth.platform.settings.port

    def host(self, port: int | None, workspace_id: str = WORKSPACE) -> str:
        label = workspace_id if port is None else f"{port}-{workspace_id}"
        return f"{label}.ws.localhost:{self.gateway_port}"

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.url, timeout=10)


@pytest.fixture
async def setup(berth: Berth, served: str) -> AsyncIterator[Setup]:
    async with connect_server() as tunnel, http_service() as http, websocket_echo() as ws_port:
        alice, bob = await berth.user_token("alice"), await berth.user_token("bob")
        await running_workspace(berth.platform.stores.events, WORKSPACE, "alice", tunnel.port, [http.port, ws_port])
        await berth.project()
        yield Setup(berth, served, tunnel, http, ws_port, alice, bob)
        http.go_on.set()


async def test_a_private_port_without_credentials_is_401_or_a_login_redirect_for_browsers(setup: Setup) -> None:
    async with setup.client() as client:
        headers = {"Host": setup.host(setup.http.port)}
        response = await client.get("/hello", headers=headers)
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        browser = await client.get("/hello?x=1", headers={**headers, "Accept": "text/html,*/*"})
        assert browser.status_code == 303
        back = f"http%3A%2F%2F{setup.http.port}-{WORKSPACE}.ws.localhost%3A{setup.gateway_port}%2Fhello%3Fx%3D1"
        assert browser.headers["location"] == f"http://localhost:{setup.gateway_port}/login?next={back}"
    assert setup.tunnel.tunnels == 0 and setup.http.seen == []


async def test_another_user_is_403_and_an_admin_too(setup: Setup) -> None:
    async with setup.client() as client:
        for token in (setup.bob, setup.berth.admin_token):
            response = await client.get("/hello", headers={"Host": setup.host(setup.http.port), **bearer(token)})
            assert response.status_code == 403
    assert setup.http.seen == []


async def test_the_owner_reaches_the_port_by_bearer_owner_header_or_cookie(setup: Setup) -> None:
    async with setup.client() as client:
        login = await client.post("/api/login", json={"token": setup.alice},
                                  headers={"Host": f"localhost:{setup.gateway_port}"})
        assert "Domain=localhost" in login.headers["set-cookie"]
        session = login.headers["set-cookie"].split(";")[0]
        client.cookies.clear()
        host = {"Host": setup.host(setup.http.port)}
        for credentials in (bearer(setup.alice), {"X-Berth-Owner-Token": setup.alice},
                            {"Cookie": f"theme=dark; {session}"}):
            response = await client.get("/hello?q=1", headers={**host, **credentials})
            assert response.status_code == 200, response.text
            assert response.headers["x-service"] == "hello"
    for seen in setup.http.seen:
        headers = seen["headers"]
        assert isinstance(headers, dict)
        assert seen["path"] == "/hello" and seen["query"] == "q=1"
        assert headers["host"] == f"127.0.0.1:{setup.http.port}"
        assert headers["x-forwarded-host"] == setup.host(setup.http.port)
        assert "authorization" not in headers and "x-berth-owner-token" not in headers
        assert "berth_session" not in headers.get("cookie", "")
    assert setup.http.seen[-1]["headers"]["cookie"] == "theme=dark"  # type: ignore[index]


async def test_a_public_port_is_open_to_anyone(setup: Setup) -> None:
    async with setup.client() as client:
        made = await client.patch(f"/api/workspaces/{WORKSPACE}/ports/{setup.http.port}",
                                  headers=bearer(setup.alice), json={"visibility": "public"})
        assert made.status_code == 200
        await setup.berth.project()
        response = await client.get("/hello", headers={"Host": setup.host(setup.http.port)})
        assert response.status_code == 200
        other = await client.get("/hello", headers={"Host": setup.host(setup.http.port), **bearer(setup.bob)})
        assert other.status_code == 200
        # Another port of the same workspace stays private.
        assert (await client.get("/", headers={"Host": setup.host(setup.ws_port)})).status_code == 401


async def test_bodies_stream_both_ways_without_buffering(setup: Setup) -> None:
    headers = {"Host": setup.host(setup.http.port), **bearer(setup.alice)}
    async with setup.client() as client:
        async with client.stream("GET", "/stream", headers=headers) as response:
            chunks = response.aiter_raw()
            first = await asyncio.wait_for(anext(chunks), 5)
            assert first == b"first\n"  # arrived while the service still held back the rest
            setup.http.go_on.set()
            rest = b"".join([chunk async for chunk in chunks])
            assert rest == b"second\n"

        payload = bytes(range(256)) * 4096 * 4  # 4 MiB, sent chunked

        async def body() -> AsyncIterator[bytes]:
            for start in range(0, len(payload), 65536):
                yield payload[start:start + 65536]

        uploaded = await client.post("/upload", headers=headers, content=body())
        assert json_body(uploaded.content) == {"size": len(payload), "sha256": hashlib.sha256(payload).hexdigest()}


async def test_workspace_code_cannot_plant_a_berth_session_cookie(setup: Setup) -> None:
    async with setup.client() as client:
        response = await client.get("/cookie", headers={"Host": setup.host(setup.http.port), **bearer(setup.alice)})
    assert response.headers.get_list("set-cookie") == ["app=1; Path=/; SameSite=lax"]


async def test_websocket_echo_through_the_proxy(setup: Setup) -> None:
    uri = f"ws://{setup.host(setup.ws_port)}/chat?room=1"
    async with connect(uri, host="127.0.0.1", port=setup.gateway_port, additional_headers=bearer(setup.alice),
                       subprotocols=[Subprotocol("echo.v1")], open_timeout=10) as websocket:
        assert websocket.subprotocol == "echo.v1"
        await websocket.send("hello")
        assert await asyncio.wait_for(websocket.recv(), 5) == "hello"
        await websocket.send(b"\x00\x01binary")
        assert await asyncio.wait_for(websocket.recv(), 5) == b"\x00\x01binary"
        for index in range(50):
            await websocket.send(f"message {index}")
        assert [await asyncio.wait_for(websocket.recv(), 5) for _ in range(50)] == [f"message {i}" for i in range(50)]


async def test_websocket_upgrades_follow_the_owner_rule(setup: Setup) -> None:
    uri = f"ws://{setup.host(setup.ws_port)}/"
    for headers, status in (({}, 401), (bearer(setup.bob), 403)):
        with pytest.raises(InvalidStatus) as refused:
            async with connect(uri, host="127.0.0.1", port=setup.gateway_port, additional_headers=headers,
                               open_timeout=10):
                pass
        assert refused.value.response.status_code == status


async def test_the_ide_host_goes_to_the_ide_port(setup: Setup) -> None:
    setup.berth.gateway.ide_port = setup.http.port
    async with setup.client() as client:
        assert (await client.get("/hello", headers={"Host": setup.host(None)})).status_code == 401
        response = await client.get("/hello", headers={"Host": setup.host(None), **bearer(setup.alice)})
        assert response.status_code == 200 and response.headers["x-service"] == "hello"


async def test_a_port_nothing_listens_on_is_a_502_naming_it(setup: Setup) -> None:
    closed = free_port()
    async with setup.client() as client:
        response = await client.get("/", headers={"Host": setup.host(closed), **bearer(setup.alice)})
        assert response.status_code == 502
        assert f"nothing answers on port {closed}" in response.json()["detail"]
        assert "connecting to 127.0.0.1" in response.json()["detail"]
        page = await client.get("/", headers={"Host": setup.host(closed), "Accept": "text/html",
                                              **bearer(setup.alice)})
        assert page.status_code == 502 and page.headers["content-type"].startswith("text/html")
        assert f"port {closed}" in page.text


async def test_a_stopped_workspace_is_a_503_naming_its_phase(setup: Setup) -> None:
    async with setup.client() as client:
        stop = await client.post(f"/api/workspaces/{WORKSPACE}/stop", headers=bearer(setup.alice))
        assert stop.status_code == 202
        await setup.berth.project()
        setup.berth.gateway.workspaces.invalidate(WORKSPACE)
        response = await client.get("/hello", headers={"Host": setup.host(setup.http.port), **bearer(setup.alice)})
        assert response.status_code == 503
        assert response.json()["detail"].startswith(f"workspace '{WORKSPACE}' is stopping (stopped by alice)")


async def test_a_stopped_ide_shows_its_owner_a_page_that_links_to_starting_it(setup: Setup) -> None:
    async with setup.client() as client:
        assert (await client.post(f"/api/workspaces/{WORKSPACE}/stop", headers=bearer(setup.alice))).is_success
        await setup.berth.project()
        setup.berth.gateway.workspaces.invalidate(WORKSPACE)
        html = {"Accept": "text/html,*/*"}
        page = await client.get("/", headers={"Host": setup.host(None), **html, **bearer(setup.alice)})
        assert page.status_code == 503 and page.headers["content-type"].startswith("text/html")
        assert "is stopping" in page.text and "Reason: stopped by alice" in page.text
        start = f"http://localhost:{setup.gateway_port}/workspaces/{WORKSPACE}?start=1"
        assert f'<a href="{start}" id=start>Start workspace</a>' in page.text
        # A port host comes back to that port once the workspace runs.
        port_page = await client.get("/x", headers={"Host": setup.host(setup.http.port), **html,
                                                    **bearer(setup.alice)})
        assert f"{start}&amp;port={setup.http.port}" in port_page.text
        # Others learn nothing new: as before, 401 (a login for browsers) and 403.
        assert (await client.get("/", headers={"Host": setup.host(None), **html})).status_code == 303
        other = await client.get("/", headers={"Host": setup.host(None), **html, **bearer(setup.bob)})
        assert other.status_code == 403 and "Start workspace" not in other.text

        # The link's target, on the gateway's host: the owner's workspace page; 404 for anyone else.
        main = {"Host": f"localhost:{setup.gateway_port}", **html}
        owner = await client.get(f"/workspaces/{WORKSPACE}?start=1", headers={**main, **bearer(setup.alice)})
        assert owner.status_code == 200 and 'id="start-panel">' in owner.text
        assert "workspace.js?v=" in owner.text and "Content-Security-Policy" in owner.headers
        for token in (setup.bob, setup.berth.admin_token):
            hidden = await client.get(f"/workspaces/{WORKSPACE}", headers={**main, **bearer(token)})
            assert hidden.status_code == 404 and WORKSPACE not in hidden.text
        unknown = await client.get("/workspaces/nobody-here-aaaaaa", headers={**main, **bearer(setup.alice)})
        malformed = await client.get("/workspaces/..%2Fx", headers={**main, **bearer(setup.alice)})
        assert unknown.status_code == malformed.status_code == 404 and unknown.text == hidden.text
        anonymous = await client.get(f"/workspaces/{WORKSPACE}?start=1", headers=main)
        assert anonymous.status_code == 303
        assert anonymous.headers["location"] == f"/login?next=/workspaces/{WORKSPACE}%3Fstart%3D1"


async def test_a_public_port_of_a_stopped_workspace_offers_the_start_link_to_its_owner_only(setup: Setup) -> None:
    async with setup.client() as client:
        made = await client.patch(f"/api/workspaces/{WORKSPACE}/ports/{setup.http.port}",
                                  headers=bearer(setup.alice), json={"visibility": "public"})
        assert made.status_code == 200
        assert (await client.post(f"/api/workspaces/{WORKSPACE}/stop", headers=bearer(setup.alice))).is_success
        await setup.berth.project()
        setup.berth.gateway.workspaces.invalidate(WORKSPACE)
        headers = {"Host": setup.host(setup.http.port), "Accept": "text/html"}
        for token, offered in ((None, False), (setup.bob, False), (setup.alice, True)):
            page = await client.get("/", headers={**headers, **(bearer(token) if token else {})})
            assert page.status_code == 503 and ("Start workspace" in page.text) is offered


async def test_a_gone_supervisor_is_a_502_and_unknown_workspaces_404(setup: Setup) -> None:
    await running_workspace(setup.berth.platform.stores.events, "lonely-gecko-aaaaaa", "alice", free_port(), [3000])
    await setup.berth.project()
    async with setup.client() as client:
        gone = await client.get("/", headers={"Host": setup.host(3000, "lonely-gecko-aaaaaa"), **bearer(setup.alice)})
        assert gone.status_code == 502 and "supervisor" in gone.json()["detail"]
        unknown = await client.get("/", headers={"Host": setup.host(3000, "nobody-here-aaaaaa")})
        assert unknown.status_code == 404
        malformed = await client.get("/", headers={"Host": f"a.b.ws.localhost:{setup.gateway_port}"})
        assert malformed.status_code == 404


async def test_proxied_traffic_is_recorded_as_activity_at_most_once_a_minute(setup: Setup) -> None:
    async with setup.client() as client:
        for _ in range(3):
            response = await client.get("/hello", headers={"Host": setup.host(setup.http.port), **bearer(setup.alice)})
            assert response.status_code == 200
    await setup.berth.gateway.activity.drain()
    stream = await setup.berth.platform.stores.events.read_stream(f"workspace-{WORKSPACE}")
    recorded = [e for e in stream if e.envelope.type == "workspace.activity_recorded"]
    assert len(recorded) == 1 and recorded[0].envelope.actor == "gateway"
    assert WORKSPACE in setup.berth.gateway.activity.sampler.last_seen
