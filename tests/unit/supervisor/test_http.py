"""Request heads, CONNECT targets and the process environment: the small parsers of the endpoint."""

from __future__ import annotations

import pytest

from supervisor.environment import container_env, process_env, resolve_container_env
from supervisor.http import HttpError, parse_head, response
from supervisor.tunnel import parse_target
from supervisor.users import Identity


def test_parses_a_request_head() -> None:
    request = parse_head(b"GET /_berth/tasks/0/log?offset=12&x= HTTP/1.1\r\nHost: a\r\nX-Thing:  v \r\n\r\n")
    assert (request.method, request.path, request.query) == ("GET", "/_berth/tasks/0/log", {"offset": "12", "x": ""})
    assert request.headers == {"host": "a", "x-thing": "v"}
    connect = parse_head(b"CONNECT 127.0.0.1:8080 HTTP/1.1\r\n\r\n")
    assert (connect.method, connect.target) == ("CONNECT", "127.0.0.1:8080")


@pytest.mark.parametrize(
    ("head", "reason"),
    [
        (b"GET /\r\n\r\n", "malformed request line"),
        (b"GET / HTTP/2\r\n\r\n", "malformed request line"),
        (b"G-T / HTTP/1.1\r\n\r\n", "malformed request line"),
        (b"GET http://x/ HTTP/1.1\r\n\r\n", "must be a path"),
        (b"GET / HTTP/1.1\r\nno colon\r\n\r\n", "malformed header line"),
        (b"GET / HTTP/1.1\r\n Folded: x\r\n\r\n", "malformed header line"),
        (b"GET /?a=1&&& HTTP/1.1\r\n\r\n", "malformed query"),
        (b"GET /\xff HTTP/1.1\r\n\r\n", "not ASCII"),
    ],
)
def test_bad_heads_are_400_with_a_reason(head: bytes, reason: str) -> None:
    with pytest.raises(HttpError) as caught:
        parse_head(head)
    assert caught.value.status == 400
    assert reason in caught.value.reason


def test_a_response_head() -> None:
    assert response(404, b"no\n", headers={"X-A": "1"}) == (
        b"HTTP/1.1 404 Not Found\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 3\r\n"
        b"Cache-Control: no-store\r\nConnection: close\r\nX-A: 1\r\n\r\nno\n"
    )


def test_connect_targets_are_loopback_ports() -> None:
    assert parse_target("127.0.0.1:8080") == ("127.0.0.1", 8080)
    assert parse_target("localhost:1") == ("127.0.0.1", 1)
    assert parse_target("[::1]:65535") == ("::1", 65535)
    for bad in ("127.0.0.1", "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:http", "10.0.0.1:22", "example.com:80"):
        with pytest.raises(HttpError) as caught:
            parse_target(bad)
        assert caught.value.status == 400


def test_the_bootloader_environment_is_undone() -> None:
    raw = {"PATH": "/bin", "LD_LIBRARY_PATH": "/tmp/_MEI1", "LD_LIBRARY_PATH_ORIG": "/opt/lib", "_PYI_X": "1"}
    assert container_env(raw, frozen=True) == {"PATH": "/bin", "LD_LIBRARY_PATH": "/opt/lib"}
    assert container_env({"LD_LIBRARY_PATH": "/tmp/_MEI1"}, frozen=True) == {}
    assert container_env(raw, frozen=False) == raw


def test_process_environment_layers() -> None:
    identity = Identity("berth", 33333, 33333, (33333,), "/home/berth", "/bin/bash")
    base = {"PATH": "/usr/bin", "HOME": "/root", "LANG": "C.UTF-8"}
    env = process_env(base, identity, {"A": "${containerEnv:LANG}", "B": "x"}, {"B": "${containerEnv:NOPE:dflt}"})
    assert env == {
        "PATH": "/usr/bin",
        "HOME": "/home/berth",
        "USER": "berth",
        "LOGNAME": "berth",
        "SHELL": "/bin/bash",
        "TERM": "xterm-256color",
        "LANG": "C.UTF-8",
        "A": "C.UTF-8",
        "B": "dflt",
    }
    assert resolve_container_env("${containerEnv:NOPE}/${localEnv:X}", {}) == "/${localEnv:X}"
    assert resolve_container_env("${containerEnv:U:a:b}", {}) == "a:b"
