"""The CONNECT handshake's parsing and the activity sampling rule."""

from __future__ import annotations

import pytest

from gateway.proxy.activity import ActivitySampler
from gateway.proxy.tunnel import connect_request, parse_connect_response


def test_connect_request_names_the_port_inside() -> None:
    assert connect_request(3000) == b"CONNECT 127.0.0.1:3000 HTTP/1.1\r\nHost: 127.0.0.1:3000\r\n\r\n"
    assert connect_request(80, "s3cret").endswith(b"Proxy-Authorization: Bearer s3cret\r\n\r\n")


def test_connect_responses() -> None:
    assert parse_connect_response(b"HTTP/1.1 200 Connection Established") == (200, "Connection Established")
    assert parse_connect_response(b"HTTP/1.0 502 Bad Gateway\r\nContent-Length: 3") == (502, "Bad Gateway")
    with pytest.raises(ValueError, match="not an HTTP response"):
        parse_connect_response(b"SSH-2.0-OpenSSH")


def test_activity_is_recorded_at_most_once_per_interval_per_workspace() -> None:
    sampler = ActivitySampler(interval=60)
    assert sampler.touch("w1", 0.0)
    assert not sampler.touch("w1", 30.0)
    assert sampler.touch("w2", 30.0)
    assert not sampler.touch("w1", 59.9)
    assert sampler.touch("w1", 60.0)
    assert sampler.last_seen == {"w1": 60.0, "w2": 30.0}
