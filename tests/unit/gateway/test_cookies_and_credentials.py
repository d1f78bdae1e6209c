"""Session cookie scope, where tokens are read from, and what is never forwarded."""

from __future__ import annotations

import pytest

from gateway.auth.cookies import cookie_domain, host_without_port, session_cookie
from gateway.auth.credentials import (
    Presented,
    bearer_token,
    cookie_value,
    presented,
    without_session_cookie,
)
from gateway.auth.identity import Via
from gateway.auth.redirects import safe_next


@pytest.mark.parametrize(("host", "domain", "expected"), [
    ("localhost:8080", "localhost", "localhost"),
    ("localhost", "localhost", "localhost"),
    ("3000-w.ws.localhost:8080", "localhost", "localhost"),
    ("berth.example.com", "berth.example.com", "berth.example.com"),
    ("127.0.0.1:8080", "localhost", None),
    ("evil-localhost:8080", "localhost", None),
    ("[::1]:8080", "localhost", None),
])
def test_the_cookie_covers_the_domain_and_its_workspace_hosts_only_when_logged_in_there(
        host: str, domain: str, expected: str | None) -> None:
    assert cookie_domain(host, domain) == expected


def test_session_cookie_attributes() -> None:
    spec = session_cookie("localhost:8080", "localhost")
    assert (spec.domain, spec.httponly, spec.samesite, spec.path) == ("localhost", True, "lax", "/")
    assert host_without_port("[::1]:80") == "[::1]"


def test_tokens_come_from_bearer_owner_header_and_cookie_in_that_order() -> None:
    headers = [("cookie", "a=1; berth_session=berth_c"), ("authorization", "Bearer berth_b"),
               ("x-berth-owner-token", " berth_o ")]
    assert presented(headers) == [Presented("berth_b", Via.BEARER), Presented("berth_o", Via.OWNER_HEADER),
                                  Presented("berth_c", Via.COOKIE)]
    assert presented([("authorization", "Basic abc")]) == []
    assert bearer_token("bearer  berth_x ") == "berth_x"
    assert bearer_token("Bearer") is None


def test_cookie_parsing_survives_other_sites_malformed_cookies() -> None:
    assert cookie_value('x="unterminated; berth_session=berth_1') == "berth_1"
    assert cookie_value("other=1") is None
    assert cookie_value(None) is None


def test_the_session_cookie_is_removed_before_forwarding() -> None:
    assert without_session_cookie("a=1; berth_session=berth_x; b=2") == "a=1; b=2"
    assert without_session_cookie("berth_session=berth_x") == ""


@pytest.mark.parametrize(("target", "expected"), [
    (None, "/"), ("/dashboard?x=1", "/dashboard?x=1"), ("//evil.example/", "/"), ("/\\evil", "/"),
    ("http://3000-w.ws.localhost:8080/app", "http://3000-w.ws.localhost:8080/app"),
    ("http://localhost:8080/", "http://localhost:8080/"),
    ("https://evil.example/", "/"), ("javascript:alert(1)", "/"), ("http://localhost.evil.example/", "/"),
])
def test_logins_only_redirect_back_into_berth(target: str | None, expected: str) -> None:
    assert safe_next(target, "localhost", "localhost:8080") == expected
