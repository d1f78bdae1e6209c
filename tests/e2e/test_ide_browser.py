"""Browser VS Code as a user meets it, in real headless Chromium (Debian's, driven by Playwright): `berth up`,
a workspace from a repository on a real git daemon, then the IDE URL `http://<wsid>.ws.berth.localhost:<port>/`
opened in the browser: Berth's login page, the token, VS Code with the repository's files in its explorer,
a terminal that runs a command. Another user who logs in gets 403 and no IDE.

Berth's default domain is `berth.localhost`, not bare `localhost`: Chromium keeps a cookie with
`Domain=localhost` host-only (a name with no registrable part may not carry domain cookies), so a login there
would never reach `*.ws.localhost`. `test_a_login_on_the_default_domain_reaches_workspace_hosts` holds it.

Needs scripts/install-browser.sh (Chromium and the playwright package) and scripts/install-code-server.sh.
Without Chromium the test fails, saying so; it never skips. The screenshot is kept in artifacts/ide.png.
"""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser

from tests.e2e.berth_process import RunningBerth, berth
from tests.e2e.browser import (
    WORKBENCH,
    chromium,
    explorer_names,
    log_in,
    open_terminal,
    run_in_terminal,
    submit_login,
    wait_for_workbench,
)
from tests.gitserver import BareRepo, GitDaemon, Seeded

# The first run installs code-server (minutes); later runs find it cached.
pytestmark = [pytest.mark.docker, pytest.mark.timeout(1200)]

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "artifacts"
PASSWORD = "correct horse battery"
DOMAIN = "berth.localhost"
"""Resolved to loopback by Chromium (as every *.localhost) and, unlike bare `localhost`, a cookie domain."""


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


def create_workspace(platform: RunningBerth, context_url: str) -> Any:
    done = berth(platform.home, "workspace", "create", context_url, "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout)


def test_the_owner_codes_in_the_browser_and_another_user_gets_403(platform: RunningBerth, seeded: Seeded,
                                                                  git: GitDaemon, browser: Browser) -> None:
    name = f"e2e/browser-{uuid.uuid4().hex[:8]}"
    BareRepo.create(seeded.root / f"{name}.git").commit("main", {
        ".gitpod.yml": "tasks:\n  - command: sleep 3600\n",
        "hello.txt": "hello from the repository\n",
    })
    ws = create_workspace(platform, git.url(name))
    assert ws["phase"] == "running", ws
    ide_url = f"http://{ws['id']}.ws.{DOMAIN}:{platform.port}/"

    owner = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        page = owner.new_page()
        # Not logged in: the IDE host sends the browser to the gateway's login page, which sends it back.
        page.goto(ide_url, wait_until="domcontentloaded", timeout=30_000)
        assert page.url.startswith(f"http://{DOMAIN}:{platform.port}/login?next="), page.url
        landed = submit_login(page, token=platform.token)
        assert landed is not None and landed.status == 200, landed and landed.status
        assert page.url.startswith(ide_url), page.url
        wait_for_workbench(page)
        names = explorer_names(page, {"hello.txt", ".gitpod.yml"})
        assert {"hello.txt", ".gitpod.yml"} <= names, names

        terminal = open_terminal(page)
        # The shell computes the marker, so the line that shows it is output, not the command echoed back.
        number = secrets.randbelow(90_000) + 10_000
        marker = f"berth-{number + 1}-ok"
        run_in_terminal(page, terminal, f"echo berth-$(({number}+1))-ok", marker)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "ide.png"))
        # The session cookie was scoped to the domain, never a token in a URL.
        assert platform.token not in page.url
    except BaseException:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "ide-failed.png"))
        raise
    finally:
        owner.close()

    other = f"eve{uuid.uuid4().hex[:6]}"
    created = platform.http("POST", "/api/users", json={"username": other, "role": "user", "password": PASSWORD})
    assert created.status_code == 201, created.text
    stranger = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        page = stranger.new_page()
        page.goto(ide_url, wait_until="domcontentloaded", timeout=30_000)
        denied = submit_login(page, username=other, password=PASSWORD)
        assert denied is not None and denied.status == 403, denied and denied.status
        assert page.get_by_role("heading", name="This workspace is not yours").is_visible()
        again = page.goto(ide_url, wait_until="load", timeout=30_000)
        assert again is not None and again.status == 403
        assert page.locator(WORKBENCH).count() == 0
    finally:
        stranger.close()


def test_a_login_on_the_default_domain_reaches_workspace_hosts(tmp_path: Path, browser: Browser) -> None:
    running = RunningBerth(tmp_path)  # the default domain
    try:
        context = browser.new_context()
        try:
            log_in(context.new_page(), f"http://{running.domain}:{running.port}", token=running.token)
            cookies = [cookie for cookie in context.cookies() if cookie.get("name") == "berth_session"]
            sent = context.cookies(f"http://some-workspace.ws.{running.domain}:{running.port}/")
        finally:
            context.close()
    finally:
        running.stop()
    assert cookies, "the login set no session cookie"
    assert any(cookie.get("name") == "berth_session" for cookie in sent), cookies
