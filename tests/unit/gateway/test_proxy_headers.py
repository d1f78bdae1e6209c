"""What crosses the proxy: hop-by-hop headers never, Berth credentials never, the rest as sent."""

from __future__ import annotations

from gateway.proxy.headers import downstream_response_headers, upstream_request_headers
from gateway.proxy.http import framed, request_target


def test_request_headers_lose_hop_by_hop_and_berth_credentials() -> None:
    sent = [(b"host", b"3000-w.ws.localhost:8080"), (b"connection", b"keep-alive, x-private"),
            (b"x-private", b"1"), (b"keep-alive", b"5"), (b"te", b"trailers"), (b"upgrade", b"h2c"),
            (b"cookie", b"a=1; berth_session=berth_s"), (b"x-berth-owner-token", b"berth_o"),
            (b"authorization", b"Bearer berth_t"), (b"accept", b"*/*"), (b"x-forwarded-for", b"6.6.6.6")]
    forwarded = upstream_request_headers(sent, upstream_host="127.0.0.1:3000", original_host="3000-w.ws.localhost:8080",
                                         client="127.0.0.1", scheme="http", strip_authorization=True)
    assert forwarded == [(b"host", b"127.0.0.1:3000"), (b"cookie", b"a=1"), (b"accept", b"*/*"),
                         (b"x-forwarded-host", b"3000-w.ws.localhost:8080"), (b"x-forwarded-proto", b"http"),
                         (b"x-forwarded-for", b"127.0.0.1")]


def test_an_apps_own_authorization_header_passes() -> None:
    forwarded = upstream_request_headers([(b"authorization", b"Basic dTpw")], upstream_host="127.0.0.1:1",
                                         original_host="h", client=None, scheme="http", strip_authorization=False)
    assert (b"authorization", b"Basic dTpw") in forwarded


def test_websocket_handshake_headers_are_left_to_the_client_library() -> None:
    sent = [(b"host", b"h"), (b"sec-websocket-key", b"k"), (b"sec-websocket-version", b"13"),
            (b"origin", b"http://h"), (b"cookie", b"berth_session=x"), (b"x-app", b"1")]
    forwarded = upstream_request_headers(sent, upstream_host="127.0.0.1:1", original_host="h", client=None,
                                         scheme="http", strip_authorization=False, websocket=True)
    assert forwarded == [(b"x-app", b"1"), (b"x-forwarded-host", b"h"), (b"x-forwarded-proto", b"http")]


def test_response_headers_lose_hop_by_hop_and_any_berth_session_cookie() -> None:
    received = [(b"Content-Type", b"text/plain"), (b"Transfer-Encoding", b"chunked"), (b"Connection", b"close"),
                (b"Set-Cookie", b"berth_session=stolen; Domain=localhost"), (b"Set-Cookie", b"app=1")]
    assert downstream_response_headers(received) == [(b"content-type", b"text/plain"), (b"set-cookie", b"app=1")]


def test_request_framing_and_target() -> None:
    chunked = [(b"transfer-encoding", b"chunked")]
    assert framed([], chunked) == [(b"transfer-encoding", b"chunked")]
    assert framed([(b"content-length", b"3")], [(b"content-length", b"3")]) == [(b"content-length", b"3")]
    assert framed([], []) == []
    assert request_target({"raw_path": b"/a%20b", "path": "/a b", "query_string": b"x=1"}) == b"/a%20b?x=1"
    assert request_target({"path": "/", "query_string": b""}) == b"/"
